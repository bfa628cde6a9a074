/**
 * Cosmos' value preparation (its `jsonToJava`): the mustache context is not the raw JSON but a
 * view in which strings are JSON-escaped without their quotes (so templates stay valid JSON),
 * arrays hold their elements' JSON text and print in Java's list form, and null prints nothing.
 */

/** An array that prints like a Java list (`[a, b]`) but still iterates in mustache sections. */
class JavaList extends Array<string> {
  override toString(): string {
    return `[${this.join(", ")}]`;
  }
}

/** JSON-escapes a string and drops the surrounding quotes. */
export const escapeString = (s: string): string => JSON.stringify(s).slice(1, -1);

/** Converts parsed JSON into the mustache context Cosmos would build. */
export function prepareValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return escapeString(value);
  if (typeof value === "number" || typeof value === "boolean") return value;
  if (Array.isArray(value)) {
    const list = new JavaList();
    for (const item of value) list.push(JSON.stringify(item ?? null));
    return list;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = prepareValue(v);
  return out;
}

/** Looks a dotted path up in raw JSON (names may contain `-`). */
export function lookupPath(root: unknown, path: string): unknown {
  let node: unknown = root;
  for (const part of path.split(".")) {
    if (node === null || typeof node !== "object" || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** What `{{#asJson}}path{{/asJson}}` prints: the value as JSON, string contents unquoted, missing → null. */
export function asJsonText(root: unknown, path: string): string {
  const value = lookupPath(root, path.trim());
  if (value === undefined || value === null) return "null";
  if (typeof value === "string") return escapeString(value);
  return JSON.stringify(value);
}
