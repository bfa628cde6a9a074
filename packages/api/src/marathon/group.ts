/**
 * Groups: the tree of apps (and pods) Marathon keeps. `parseGroupUpdate` reads a POST/PUT
 * /v2/groups body recursively, resolving relative ids against the enclosing group.
 */
import type { AppDefinition } from "./app.js";
import { parseAppDefinition, Violations, type ViolationDetail } from "./validate.js";
import { pathIdProblem, resolvePathId } from "./path-id.js";

export interface GroupUpdate {
  id: string;
  apps?: AppDefinition[];
  groups?: GroupUpdate[];
  dependencies?: string[];
  scaleBy?: number;
  version?: string;
  enforceRole?: boolean;
}

export type GroupParseResult = { ok: true; group: GroupUpdate } | { ok: false; details: ViolationDetail[] };

type Json = Record<string, unknown>;

/** Parses a group body; `base` is the path it lives under (the URL's group id for PUT). */
export function parseGroupUpdate(raw: unknown, base = "/", pathPrefix = ""): GroupParseResult {
  const v = new Violations();
  const group = readGroup(raw, base, pathPrefix, v, true);
  return v.empty && group ? { ok: true, group } : { ok: false, details: v.details() };
}

function readGroup(raw: unknown, base: string, at: string, v: Violations, top: boolean): GroupUpdate | undefined {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    v.add(at || "/", "expected a JSON object with the group definition");
    return undefined;
  }
  const body = raw as Json;
  let id = base;
  if (body["id"] !== undefined && body["id"] !== null) {
    if (typeof body["id"] !== "string") v.add(`${at}/id`, "expected a string path such as /prod");
    else {
      const problem = pathIdProblem(body["id"]);
      if (problem) v.add(`${at}/id`, problem);
      else id = top && !body["id"].startsWith("/") ? resolvePathId(body["id"], base) : resolvePathId(body["id"], base);
    }
  } else if (!top) v.add(`${at}/id`, "nested groups need an id");
  const out: GroupUpdate = { id };
  if (body["apps"] != null) {
    if (!Array.isArray(body["apps"])) v.add(`${at}/apps`, "expected an array of app definitions");
    else {
      out.apps = [];
      body["apps"].forEach((a, i) => {
        const r = parseAppDefinition(a, { base: id, pathPrefix: `${at}/apps/${i}` });
        if (r.ok) out.apps!.push(r.app);
        else r.details.forEach((d) => d.errors.forEach((e) => v.add(d.path, e)));
      });
    }
  }
  if (body["groups"] != null) {
    if (!Array.isArray(body["groups"])) v.add(`${at}/groups`, "expected an array of groups");
    else {
      out.groups = [];
      body["groups"].forEach((g, i) => {
        const child = readGroup(g, id, `${at}/groups/${i}`, v, false);
        if (child) out.groups!.push(child);
      });
    }
  }
  if (body["dependencies"] != null) {
    if (!Array.isArray(body["dependencies"]) || body["dependencies"].some((d) => typeof d !== "string")) v.add(`${at}/dependencies`, "expected an array of path strings");
    else out.dependencies = (body["dependencies"] as string[]).map((d) => resolvePathId(d, id));
  }
  if (body["scaleBy"] != null) {
    if (typeof body["scaleBy"] !== "number" || body["scaleBy"] < 0) v.add(`${at}/scaleBy`, "expected a non-negative number, e.g. 2 to double every app's instances");
    else out.scaleBy = body["scaleBy"];
  }
  if (typeof body["version"] === "string") out.version = body["version"];
  if (typeof body["enforceRole"] === "boolean") out.enforceRole = body["enforceRole"];
  return out;
}

/** Every app in a parsed group tree, depth first. */
export function appsOfGroup(group: GroupUpdate): AppDefinition[] {
  return [...(group.apps ?? []), ...(group.groups ?? []).flatMap(appsOfGroup)];
}

/** Every group id in a parsed tree (including the root of the tree). */
export function groupIdsOf(group: GroupUpdate): string[] {
  return [group.id, ...(group.groups ?? []).flatMap(groupIdsOf)];
}
