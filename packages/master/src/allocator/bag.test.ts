import { addResources, containsResources, mergeRanges, parseResources, rangesContain, scalarTotals, subtractRanges, subtractResources } from "@caravel/api";
import type { Range, Resource } from "@caravel/api";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KindRegistry, addBags, bagContains, intersectBags, subtractBags } from "./bag.js";
import { rangesMinus, rangesSubset, rangesUnion } from "./ranges.js";
import { toBag, toResources } from "./wire-form.js";

const rangeList = fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 8 })), { maxLength: 6 }).map((xs) => mergeRanges(xs.map(([b, n]) => ({ begin: b, end: b + n }))));

const resourcesArb = fc
  .record({ cpus: fc.integer({ min: 0, max: 8 }), mem: fc.integer({ min: 0, max: 64 }), reserved: fc.integer({ min: 0, max: 3 }), ports: rangeList })
  .map(({ cpus, mem, reserved, ports }) => {
    const spec = [`cpus:${cpus}`, `mem:${mem}`, `cpus(eng):${reserved}`];
    if (ports.length > 0) spec.push(`ports:[${ports.map((r) => `${r.begin}-${r.end}`).join(",")}]`);
    return parseResources(spec.join(";"));
  });

const norm = (rs: Resource[]) => ({ scalars: scalarTotals(rs), ports: mergeRanges(rs.filter((r) => r.name === "ports").flatMap((r) => r.ranges?.range ?? [])) });

describe("linear range operations", () => {
  it("agree with the generic helpers of @caravel/api (property)", () => {
    fc.assert(
      fc.property(rangeList, rangeList, (a: Range[], b: Range[]) => {
        expect(rangesUnion(a, b)).toEqual(mergeRanges([...a, ...b]));
        expect(rangesMinus(a, b)).toEqual(subtractRanges(a, b));
        expect(rangesSubset(b, a)).toBe(rangesContain(a, b));
      }),
    );
  });
});

describe("bags", () => {
  it("add, subtract, intersect and compare like Resource lists (property)", () => {
    fc.assert(
      fc.property(resourcesArb, resourcesArb, (a, b) => {
        const reg = new KindRegistry();
        const A = toBag(reg, a);
        const B = toBag(reg, b);
        expect(norm(toResources(addBags(A, B)))).toEqual(norm(addResources(a, b)));
        expect(norm(toResources(subtractBags(A, B)))).toEqual(norm(subtractResources(a, b)));
        expect(bagContains(A, B)).toBe(containsResources(a, b));
        const both = intersectBags(A, B);
        expect(bagContains(A, both) && bagContains(B, both)).toBe(true);
      }),
    );
  });

  it("round-trips wire resources and recognises an offer's own array", () => {
    const reg = new KindRegistry();
    const bag = toBag(reg, parseResources("cpus:2;mem:128;cpus(eng):1;ports:[31000-31005,31010-31010]"));
    const offered = toResources(bag, "eng", reg);
    expect(offered.every((r) => r.allocation_info?.role === "eng")).toBe(true);
    expect(toBag(reg, offered)).toBe(bag);
    const copy = offered.map((r) => ({ ...r }));
    const reparsed = toBag(reg, copy);
    expect(reparsed).not.toBe(bag);
    expect(bagContains(reparsed, bag) && bagContains(bag, reparsed)).toBe(true);
  });
});
