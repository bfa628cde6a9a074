/**
 * Helpers for Mesos' JSON conventions (stout's JSON <-> protobuf mapping):
 * `null` means unset, unknown keys are ignored, numbers may arrive as strings,
 * enums are strings, and an unknown enum string on an optional field is dropped.
 */
import { z } from "zod";

/**
 * Removes `null` values (object keys and array items) recursively: Mesos treats `null` as "unset", and
 * real clients send dozens of `"x": null` keys. Entry-point schemas (Call, Event, …) apply it once, so
 * that the field schemas below stay simple.
 */
export function stripNulls(value: unknown): unknown {
  // Copy-on-write without per-node allocations: a large body with no null (an agent re-registering
  // with its tasks after a failover) is walked without building a single array or object.
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const next = item === null ? undefined : stripNulls(item);
      if (next !== item && !out) out = value.slice(0, i);
      if (out && next !== undefined) out.push(next);
    }
    return out ?? value;
  }
  if (value !== null && typeof value === "object") {
    let out: Record<string, unknown> | undefined;
    const record = value as Record<string, unknown>;
    for (const key in record) {
      if (!Object.prototype.hasOwnProperty.call(record, key)) continue;
      const item = record[key];
      if (item === null || typeof item === "object") {
        const next = item === null ? undefined : stripNulls(item);
        if (next !== item) {
          out ??= { ...record };
          if (next === undefined) delete out[key];
          else out[key] = next;
        }
      }
    }
    return out ?? value;
  }
  return value;
}

/** Wraps an entry-point schema so that it accepts Mesos' `null` = unset anywhere inside. */
export const nullTolerant = <T extends z.ZodType>(schema: T) => z.preprocess(stripNulls, schema);

/** An optional field (`null` is handled by `nullTolerant` at the entry point). */
export const opt = <T extends z.ZodType>(schema: T) => schema.optional();

/** An optional field with a protobuf default: unset parses as the default, so it is emitted. */
export const withDefault = <T extends z.ZodType>(schema: T, value: z.output<T>) => schema.default(value as never);

/** A JSON number, also accepted as a numeric string ("5", "Infinity") as stout does. */
export const num = z.coerce.number<unknown>();

export const int = z.coerce.number<unknown>().int();

/** A repeated field: absent is the empty list. */
export const list = <T extends z.ZodType>(item: T) => z.array(item).default([]);

/** A required enum. */
export const enumOf = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values);

/** An optional enum: an unknown string is dropped silently, as Mesos does. */
export const optEnum = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values).optional().catch(undefined);

/** `{ "value": "..." }` identifiers (FrameworkID, AgentID, TaskID, OfferID, ...). */
export const Id = z.object({ value: z.string().min(1, "must not be empty") });
export type Id = z.infer<typeof Id>;

/** Base64 bytes. */
export const Bytes = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "must be base64");

/**
 * Serialises an event or response as Mesos does for HTTP clients: compact JSON, non-ASCII escaped
 * (some clients miscount multi-byte characters in RecordIO), empty lists and undefined omitted.
 */
export function toMesosJson(value: unknown): string {
  return escapeNonAscii(omitEmptyListsInJson(JSON.stringify(value)));
}

/**
 * Drops `"key":[]` members from serialised JSON. A replacer function would do the same but costs a call
 * per key, which dominates large events (an OFFERS event to 1,000 agents). The patterns cannot match
 * inside string values: there every quote is escaped, so `"key":[]` never appears literally.
 */
export function omitEmptyListsInJson(json: string): string {
  if (!json.includes(":[]")) return json;
  return json.replace(/,"[\w.-]+":\[\]/g, "").replace(/"[\w.-]+":\[\],?/g, "");
}

export function omitEmptyLists(_key: string, value: unknown): unknown {
  return Array.isArray(value) && value.length === 0 ? undefined : value;
}

export function escapeNonAscii(json: string): string {
  if (/^[\x00-\x7e]*$/.test(json)) return json;
  return json.replace(/[\u007f-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
}

/** Renders a zod error as `path: message` lines a person can act on. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.length ? issue.path.join(".") : "(root)";
      return `${path}: ${issue.message}`;
    })
    .join("; ");
}
