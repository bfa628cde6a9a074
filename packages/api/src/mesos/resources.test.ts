import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addResources,
  containsResources,
  legacyResources,
  parseAttributes,
  parseResources,
  ranges,
  scalar,
  subtractRanges,
  subtractResources,
  sumResources,
} from "./resources.js";
import type { Resource } from "./common.js";

describe("parseResources", () => {
  it("reads Mesos' --resources syntax with roles, ranges and sets", () => {
    const rs = parseResources("cpus:4;mem:8192;ports:[31000-32000,33000-33100];gpus(ml):1;bugs:{a,b}");
    expect(legacyResources(rs)).toEqual({ cpus: 4, gpus: 1, mem: 8192, disk: 0, ports: "[31000-32000, 33000-33100]", bugs: "{a, b}" });
    expect(rs.find((r) => r.name === "gpus")?.role).toBe("ml");
  });

  it("names the bad entry", () => {
    expect(() => parseResources("cpus:four")).toThrow(/cpus: "four" is not a non-negative number/);
    expect(() => parseResources("ports:[3-1]")).toThrow(/ends before it begins/);
  });

  it("reads attributes as scalars, ranges, sets or text", () => {
    expect(parseAttributes("rack:r1;level:10;keys:[1-5]").map((a) => a.type)).toEqual(["TEXT", "SCALAR", "RANGES"]);
  });
});

describe("resource arithmetic", () => {
  const arbScalar = fc.integer({ min: 0, max: 100_000 }).map((n) => n / 1000);
  const arbRanges = fc.array(fc.tuple(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 50 })), { maxLength: 5 }).map((rs) => rs.map(([b, len]) => ({ begin: b, end: b + len })));
  const arbResources = fc.tuple(arbScalar, arbScalar, arbRanges).map(([c, m, p]) => addResources([], [scalar("cpus", c), scalar("mem", m), ranges("ports", p)]));

  it("(a + b) − b = a, and a + b contains both", () => {
    fc.assert(
      fc.property(arbResources, arbResources, (a, b) => {
        const sum = addResources(a, b);
        expect(containsResources(sum, a)).toBe(true);
        expect(containsResources(sum, b)).toBe(true);
        expect(legacyResources(subtractResources(sum, b)).cpus).toBeCloseTo(Number(legacyResources(a).cpus), 3);
      }),
    );
  });

  it("sumResources equals folding addResources", () => {
    fc.assert(
      fc.property(fc.array(arbResources, { maxLength: 8 }), (lists) => {
        expect(legacyResources(sumResources(lists))).toEqual(legacyResources(lists.reduce<Resource[]>((a, b) => addResources(a, b), [])));
      }),
    );
  });

  it("subtracts ranges", () => {
    expect(subtractRanges([{ begin: 1, end: 10 }], [{ begin: 3, end: 4 }])).toEqual([
      { begin: 1, end: 2 },
      { begin: 5, end: 10 },
    ]);
  });

  it("does not mix reserved and unreserved resources", () => {
    expect(containsResources([scalar("cpus", 4, "*")], [scalar("cpus", 1, "web")])).toBe(false);
  });
});
