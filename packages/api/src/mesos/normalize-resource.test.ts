import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Resource } from "./common.js";
import { normalizeAnyResource, normalizeResource, parseResources } from "./resources.js";

const sameAsGeneric = (r: Resource, order = true) => {
  const fast = normalizeResource(r);
  expect(fast).toStrictEqual(normalizeAnyResource(r));
  if (order) expect(Object.keys(fast)).toEqual(Object.keys(normalizeAnyResource(r)));
};

describe("normalizeResource of plain scalars", () => {
  it("equals the general path on parsed resources of every kind", () => {
    for (const r of parseResources("cpus:0.1;mem:32;disk(role1):10;ports:[31000-31005];gpus:1")) sameAsGeneric(r, false);
    for (const r of parseResources("cpus(spark):2;mem(*):64")) sameAsGeneric(r, false);
  });

  it("equals the general path, key order included, on random scalars in the wire schema's order", () => {
    const resource = fc.record(
      {
        name: fc.constantFrom("cpus", "mem", "disk", "gpus"),
        type: fc.constant("SCALAR" as const),
        scalar: fc.record({ value: fc.double({ min: 0, max: 1e6, noNaN: true }) }),
        role: fc.constantFrom("*", "r"),
        reservations: fc.constantFrom<Resource["reservations"]>([], [{ type: "DYNAMIC", role: "r", principal: "p" }]),
        revocable: fc.constant({}),
        allocation_info: fc.record({ role: fc.constantFrom("a", "b") }),
      },
      { requiredKeys: ["name", "type", "scalar", "reservations"] },
    );
    fc.assert(fc.property(resource, (r) => sameAsGeneric(r as Resource)), { numRuns: 2000 });
  });
});
