/**
 * The contract every Sorter honours, run against the DRF and the random sorter (sorter.test.ts).
 * It checks membership, activity, allocation bookkeeping and the tree shape of the order, never the
 * order policy itself (that is implementation-specific).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ClusterTotals } from "./sorter.js";
import type { Sorter, SorterOptions } from "./sorter.js";

export type SorterFactory = (options: SorterOptions) => Sorter;

const CPUS = 0;
const MEM = 1;
const q = (cpus: number, mem: number): number[] => [cpus, mem];

function withTotals(make: SorterFactory, hierarchical = false): Sorter {
  const totals = new ClusterTotals();
  totals.add(q(100, 1000));
  return make({ totals, hierarchical });
}

export function sorterContract(name: string, make: SorterFactory): void {
  describe(`Sorter contract: ${name}`, () => {
    it("adds, activates, deactivates and removes clients", () => {
      const s = withTotals(make);
      s.add("a");
      s.add("b");
      s.add("a");
      expect(s.count()).toBe(2);
      expect(s.contains("a")).toBe(true);
      expect(s.sort()).toEqual([]);
      s.activate("a");
      s.activate("b");
      expect([...s.sort()].sort()).toEqual(["a", "b"]);
      s.deactivate("a");
      expect(s.isActive("a")).toBe(false);
      expect([...s.sort()]).toEqual(["b"]);
      s.remove("b");
      expect(s.contains("b")).toBe(false);
      expect(s.sort()).toEqual([]);
      expect(s.count()).toBe(1);
    });

    it("tracks allocations and gives them back", () => {
      const s = withTotals(make);
      s.add("a");
      s.activate("a");
      s.allocated("a", q(2, 100));
      s.allocated("a", q(1, 50));
      expect(s.allocation("a")[CPUS]).toBe(3);
      expect(s.allocation("a")[MEM]).toBe(150);
      s.unallocated("a", q(3, 150));
      expect(s.allocation("a")[CPUS] ?? 0).toBe(0);
      expect(s.share("a")).toBe(0);
    });

    it("counts a child's allocation toward its ancestors in a hierarchical tree", () => {
      const s = withTotals(make, true);
      for (const c of ["eng", "eng/web", "eng/web/api", "ops"]) {
        s.add(c);
        s.activate(c);
      }
      s.allocated("eng/web/api", q(10, 0));
      s.allocated("eng", q(5, 0));
      expect(s.allocation("eng")[CPUS]).toBe(15);
      expect(s.allocation("eng/web")[CPUS]).toBe(10);
      expect(s.share("eng")).toBeCloseTo(0.15);
      s.remove("eng/web/api");
      expect(s.allocation("eng")[CPUS]).toBe(5);
      expect([...s.sort()].sort()).toEqual(["eng", "eng/web", "ops"]);
    });

    it("keeps a client's own allocation apart once it gets a subrole", () => {
      const s = withTotals(make, true);
      s.add("a");
      s.activate("a");
      s.allocated("a", q(10, 0));
      s.add("a/b");
      s.activate("a/b");
      s.allocated("a/b", q(5, 0));
      expect(s.allocation("a")[CPUS]).toBe(15);
      expect(s.allocation("a/b")[CPUS]).toBe(5);
      if (name === "drf") expect([...s.sort()]).toEqual(["a/b", "a"]);
      s.remove("a/b");
      expect(s.allocation("a")[CPUS]).toBe(10);
      s.unallocated("a", s.allocation("a"));
      expect(s.allocation("a")[CPUS] ?? 0).toBe(0);
      s.remove("a");
      expect(s.count()).toBe(0);
    });

    it("keeps a subtree contiguous in the order", () => {
      const s = withTotals(make, true);
      for (const c of ["a/x", "b/y", "a/z", "b/w", "c"]) {
        s.add(c);
        s.activate(c);
      }
      const order = [...s.sort()];
      const pos = (c: string) => order.indexOf(c);
      expect(Math.abs(pos("a/x") - pos("a/z"))).toBe(1);
      expect(Math.abs(pos("b/y") - pos("b/w"))).toBe(1);
    });

    it("visits active clients in the order sort() returns and stops when asked", () => {
      const s = withTotals(make, true);
      for (const c of ["a", "b/x", "b/y", "c"]) {
        s.add(c);
        s.activate(c);
      }
      s.allocated("c", q(5, 0));
      const seen: string[] = [];
      s.forEachActive((c) => (seen.push(c), true));
      if (name === "drf") expect(seen).toEqual([...s.sort()]);
      else expect([...seen].sort()).toEqual(["a", "b/x", "b/y", "c"]);
      const firstTwo: string[] = [];
      s.forEachActive((c) => (firstTwo.push(c), firstTwo.length < 2));
      expect(firstTwo).toHaveLength(2);
    });

    it("always returns every active client exactly once (property)", () => {
      const op = fc.oneof(
        fc.record({ t: fc.constant("add" as const), c: fc.constantFrom("a", "b", "c", "a/b", "a/b/c", "d/e") }),
        fc.record({ t: fc.constant("remove" as const), c: fc.constantFrom("a", "b", "a/b", "d/e") }),
        fc.record({ t: fc.constant("activate" as const), c: fc.constantFrom("a", "b", "c", "a/b", "a/b/c", "d/e") }),
        fc.record({ t: fc.constant("deactivate" as const), c: fc.constantFrom("a", "b", "a/b/c") }),
        fc.record({ t: fc.constant("alloc" as const), c: fc.constantFrom("a", "b", "c", "a/b", "a/b/c", "d/e"), n: fc.integer({ min: 1, max: 9 }) }),
        fc.record({ t: fc.constant("weight" as const), c: fc.constantFrom("a", "b", "d"), n: fc.integer({ min: 1, max: 5 }) }),
        fc.record({ t: fc.constant("sort" as const) }),
      );
      fc.assert(
        fc.property(fc.boolean(), fc.array(op, { maxLength: 60 }), (hierarchical, ops) => {
          const s = withTotals(make, hierarchical);
          const active = new Set<string>();
          const known = new Set<string>();
          for (const o of ops) {
            if (o.t === "add") {
              s.add(o.c);
              known.add(o.c);
            } else if (o.t === "remove") {
              s.remove(o.c);
              known.delete(o.c);
              active.delete(o.c);
            } else if (o.t === "activate" && known.has(o.c)) {
              s.activate(o.c);
              active.add(o.c);
            } else if (o.t === "deactivate") {
              s.deactivate(o.c);
              active.delete(o.c);
            }
            else if (o.t === "alloc" && known.has(o.c)) s.allocated(o.c, q(o.n, o.n * 10));
            else if (o.t === "weight") s.updateWeight(o.c, o.n);
            else if (o.t === "sort") expect([...s.sort()].sort()).toEqual([...active].sort());
          }
          expect([...s.sort()].sort()).toEqual([...active].sort());
        }),
      );
    });
  });
}
