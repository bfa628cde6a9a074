import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toMesosJson } from "./wire.js";

/** The oracle: object members whose value is an empty list are dropped; nothing else changes. */
function prune(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(prune);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => !(Array.isArray(v) && v.length === 0)).map(([k, v]) => [k, prune(v)]));
  }
  return value;
}

describe("toMesosJson", () => {
  it("omits empty lists exactly as a replacer would, whatever the strings contain", () => {
    const key = fc.constantFrom("a", "b", "uris", "x_y", "reservations");
    const leaf = fc.oneof(fc.string(), fc.constantFrom('"a":[]', ',"b":[]', '\\",\\"c\\":[]', "é"), fc.integer(), fc.constant([]), fc.boolean());
    const tree = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: "small" }, leaf, fc.array(tie("node"), { maxLength: 3 }), fc.dictionary(key, tie("node"), { maxKeys: 4 })),
    })).node;
    fc.assert(
      fc.property(fc.dictionary(key, tree, { maxKeys: 4 }), (value) => {
        expect(JSON.parse(toMesosJson(value))).toEqual(prune(JSON.parse(JSON.stringify(value))));
      }),
    );
  });

  it("escapes non-ASCII characters", () => {
    expect(toMesosJson({ name: "café" })).toBe('{"name":"caf\\u00e9"}');
  });
});
