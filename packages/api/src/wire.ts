/**
 * Helpers for Mesos' JSON conventions (stout's JSON <-> protobuf mapping):
 * `null` means unset, unknown keys are ignored, numbers may arrive as strings,
 * enums are strings, and an unknown enum string on an optional field is dropped.
 */
import { z } from "zod";

const nullToUndefined = (v: unknown) => (v === null ? undefined : v);

/** An optional field that also accepts `null` as "unset". */
export const opt = <T extends z.ZodType>(schema: T) => z.preprocess(nullToUndefined, schema.optional());

/** An optional field with a protobuf default: unset (or null) parses as the default, so it is emitted. */
export const withDefault = <T extends z.ZodType>(schema: T, value: z.input<T> & z.output<T>) =>
  z.preprocess(nullToUndefined, schema.default(value as never)) as unknown as z.ZodType<z.output<T>, unknown>;

/** A JSON number, also accepted as a numeric string ("5", "Infinity") as stout does. */
export const num = z.preprocess((v) => {
  if (typeof v !== "string") return v;
  const trimmed = v.trim();
  return trimmed === "" ? v : Number(trimmed);
}, z.number());

export const int = z.preprocess(
  (v) => (typeof v === "string" && v.trim() !== "" ? Number(v) : v),
  z.number().int(),
);

/** A repeated field: absent or null is the empty list. */
export const list = <T extends z.ZodType>(item: T) => z.preprocess(nullToUndefined, z.array(item).default([]));

/** A required enum. */
export const enumOf = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values);

/** An optional enum: an unknown string is dropped silently, as Mesos does. */
export const optEnum = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.preprocess((v) => (typeof v === "string" && (values as readonly string[]).includes(v) ? v : undefined), z.enum(values).optional());

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
  return escapeNonAscii(JSON.stringify(value, omitEmptyLists));
}

export function omitEmptyLists(_key: string, value: unknown): unknown {
  return Array.isArray(value) && value.length === 0 ? undefined : value;
}

export function escapeNonAscii(json: string): string {
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
