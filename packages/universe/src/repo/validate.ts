/**
 * Validation of package files against Universe's own schemas (copied into ../../schema). Problems
 * are reported per package; fields unknown to the schema are tolerated (real packages carry them).
 */
import { readFileSync } from "node:fs";
import type { ErrorObject, ValidateFunction } from "ajv";
import { newAjv } from "../ajv.js";

const schemaDir = new URL("../../schema/", import.meta.url);
const load = (file: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(file, schemaDir), "utf8")) as Record<string, unknown>;

let validators: { pkg: ValidateFunction; config: ValidateFunction; resource: ValidateFunction } | undefined;

function get(): NonNullable<typeof validators> {
  if (!validators) {
    const ajv = newAjv();
    validators = {
      pkg: ajv.compile(load("package-schema.json")),
      config: ajv.compile(load("config-schema.json")),
      resource: ajv.compile(load("v3-resource-schema.json")),
    };
  }
  return validators;
}

const text = (e: ErrorObject): string => `${e.instancePath || "/"} ${e.message ?? e.keyword}`;

/** Schema errors for package.json, ignoring unknown-field complaints and oneOf noise. */
export function validatePackageJson(pkg: unknown): string[] {
  const fn = get().pkg;
  if (fn(pkg)) return [];
  const version = (pkg as { packagingVersion?: unknown }).packagingVersion;
  // The schema is a oneOf over packaging versions: keep only errors from the branch for this version.
  const branch = ["2.0", "3.0", "4.0", "5.0"].indexOf(String(version));
  const errors = (fn.errors ?? []).filter((e) => e.keyword !== "oneOf" && e.keyword !== "additionalProperties" && e.keyword !== "enum" && e.keyword !== "const");
  const own = branch >= 0 ? errors.filter((e) => e.schemaPath.includes(`/oneOf/${branch}/`) || !e.schemaPath.includes("/oneOf/")) : errors;
  return [...new Set(own.map(text))];
}

/** Schema errors for config.json (a draft-04 schema itself). */
export function validateConfigJson(config: unknown): string[] {
  const fn = get().config;
  return fn(config) ? [] : [...new Set((fn.errors ?? []).map((e) => `config.json: ${text(e)}`))];
}

/** Schema errors for resource.json (v3 schema), ignoring unknown fields. */
export function validateResourceJson(resource: unknown): string[] {
  const fn = get().resource;
  return fn(resource) ? [] : [...new Set((fn.errors ?? []).filter((e) => e.keyword !== "additionalProperties").map((e) => `resource.json: ${text(e)}`))];
}
