/**
 * Options: the defaults a config.json schema implies, the deep merge Cosmos uses, and validation of
 * the user's options against the schema (JSON Schema draft-04, ajv) with errors naming each path.
 */
import type { ErrorObject, ValidateFunction } from "ajv";
import { newAjv } from "../ajv.js";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Defaults by Cosmos' walk: a `default` wins; else recurse into `properties`, keeping non-empty results. */
export function configDefaults(schema: unknown): Json {
  const out: Json = {};
  if (!isObject(schema) || !isObject(schema.properties)) return out;
  for (const [key, prop] of Object.entries(schema.properties)) {
    if (!isObject(prop)) continue;
    if ("default" in prop) out[key] = prop.default;
    else if (isObject(prop.properties)) {
      const nested = configDefaults(prop);
      if (Object.keys(nested).length > 0) out[key] = nested;
    }
  }
  return out;
}

/** Deep merge: objects merge key by key, anything else on the right replaces the left. */
export function deepMerge(left: unknown, right: unknown): unknown {
  if (!isObject(left) || !isObject(right)) return right === undefined ? left : right;
  const out: Json = { ...left };
  for (const [k, v] of Object.entries(right)) out[k] = k in out ? deepMerge(out[k], v) : v;
  return out;
}

const ajv = newAjv();
const cache = new WeakMap<object, ValidateFunction>();

/** Compiles (once per schema object) a draft-04 validator. Throws on a schema ajv cannot compile. */
export function compileSchema(schema: Json): ValidateFunction {
  const hit = cache.get(schema);
  if (hit) return hit;
  const fn = ajv.compile(schema);
  cache.set(schema, fn);
  return fn;
}

/** One option problem, e.g. `{path: "/service/cpus", message: "must be >= 0.1", actual: 0}`. */
export interface OptionProblem {
  path: string;
  message: string;
  /** The value given at `path`, so that the user sees what was wrong with it (absent for a missing option). */
  actual?: unknown;
}

/** The value at a JSON pointer (`/service/cpus`) inside `root`, or undefined. */
function valueAt(root: unknown, pointer: string): unknown {
  let cur = root;
  for (const raw of pointer.split("/").slice(1)) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (typeof cur !== "object" || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function describe(e: ErrorObject, merged: unknown): OptionProblem {
  if (e.keyword === "required") {
    const missing = String((e.params as { missingProperty?: string }).missingProperty);
    return { path: `${e.instancePath}/${missing}`, message: "is required" };
  }
  if (e.keyword === "additionalProperties") {
    const extra = String((e.params as { additionalProperty?: string }).additionalProperty);
    return { path: `${e.instancePath}/${extra}`, message: "is not a known option of this package" };
  }
  return { path: e.instancePath || "/", message: e.message ?? e.keyword, actual: valueAt(merged, e.instancePath) };
}

/** Validates merged options against config.json; empty list means valid. */
export function validateOptions(schema: Json, merged: unknown): OptionProblem[] {
  // Real packages sometimes leave out the top-level type; Cosmos treats them as objects anyway.
  const fn = compileSchema(schema.type === undefined ? typedCopy(schema) : schema);
  if (fn(merged)) return [];
  return (fn.errors ?? []).map((e) => describe(e, merged));
}

const typed = new WeakMap<object, Json>();
function typedCopy(original: Json): Json {
  const hit = typed.get(original);
  if (hit) return hit;
  const copy = { ...original, type: "object" };
  typed.set(original, copy);
  return copy;
}
