/**
 * Applying an app update (PUT with partialUpdate, PATCH) to a stored definition: top-level fields of
 * the update replace the stored ones, as in Marathon. When the update uses the legacy networking form,
 * the stored 1.5 networking fields are dropped first so that the two forms never mix.
 */
import { parseAppDefinition, usesLegacyNetworking, type AppDefinition } from "@caravel/api";
import { InvalidObject } from "./common.js";

type Json = Record<string, unknown>;
const SERVER_FIELDS = ["version", "versionInfo", "tasksStaged", "tasksRunning", "tasksHealthy", "tasksUnhealthy", "deployments", "tasks", "lastTaskFailure"];

/** Merges `update` into `base` (if any) and validates; throws InvalidObject with paths. */
export function applyAppUpdate(id: string, base: AppDefinition | undefined, update: unknown, partial: boolean, pathPrefix = ""): AppDefinition {
  if (typeof update !== "object" || update === null || Array.isArray(update)) {
    throw new InvalidObject([{ path: pathPrefix || "/", errors: ["expected a JSON object with app fields"] }]);
  }
  const patch: Json = { ...(update as Json) };
  for (const f of SERVER_FIELDS) delete patch[f];
  let merged: Json;
  if (base && partial) {
    merged = { ...(base as unknown as Json) };
    for (const f of SERVER_FIELDS) delete merged[f];
    if (usesLegacyNetworking(patch)) {
      delete merged["networks"];
      delete merged["portDefinitions"];
      if (merged["container"] && typeof merged["container"] === "object") {
        merged["container"] = { ...(merged["container"] as Json) };
        delete (merged["container"] as Json)["portMappings"];
      }
    }
    if (patch["uris"] !== undefined) delete merged["fetch"];
    if (patch["cmd"] !== undefined && patch["cmd"] !== null) delete merged["args"];
    if (patch["args"] !== undefined && patch["args"] !== null) delete merged["cmd"];
    Object.assign(merged, patch);
  } else merged = patch;
  merged["id"] = id;
  const parsed = parseAppDefinition(merged, { pathPrefix });
  if (!parsed.ok) throw new InvalidObject(parsed.details);
  return parsed.app;
}
