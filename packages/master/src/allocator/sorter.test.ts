import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DrfSorter } from "./drf-sorter.js";
import { seededRandom } from "./random.js";
import { RandomSorter } from "./random-sorter.js";
import { ClusterTotals, dominantShare } from "./sorter.js";
import type { Sorter } from "./sorter.js";
import { sorterContract } from "./sorter.contract.js";

sorterContract("drf", (options) => new DrfSorter(options));
sorterContract("random", (options) => new RandomSorter({ random: seededRandom(7), ...options }));

const totals = (cpus: number, mem: number): ClusterTotals => {
  const t = new ClusterTotals();
  t.add([cpus, mem]);
  return t;
};

function addActive(s: Sorter, client: string): void {
  s.add(client);
  s.activate(client);
}

function drf(clients: string[], hierarchical = false, t = totals(100, 1000)): DrfSorter {
  const s = new DrfSorter({ totals: t, hierarchical });
  for (const c of clients) {
    s.add(c);
    s.activate(c);
  }
  return s;
}

describe("DrfSorter", () => {
  it("orders by dominant share, lowest first", () => {
    const s = drf(["a", "b", "c"]);
    s.allocated("a", [10, 0]); // 10 %
    s.allocated("b", [0, 50]); // 5 %
    expect(s.sort()).toEqual(["c", "b", "a"]);
  });

  it("breaks share ties by allocation count, then by name", () => {
    const s = drf(["b", "a", "c"]);
    s.allocated("c", [1, 0]);
    s.unallocated("c", [1, 0]);
    expect(s.sort()).toEqual(["a", "b", "c"]);
  });

  it("divides shares by weight", () => {
    const s = drf(["a", "b"]);
    s.updateWeight("a", 4);
    s.allocated("a", [20, 0]); // 20 % / 4 = 5 %
    s.allocated("b", [10, 0]); // 10 %
    expect(s.sort()).toEqual(["a", "b"]);
    expect(s.share("a")).toBeCloseTo(0.05);
  });

  it("re-sorts when cluster totals change", () => {
    const t = totals(100, 1000);
    const s = drf(["cpu-heavy", "mem-heavy"], false, t);
    s.allocated("cpu-heavy", [10, 0]);
    s.allocated("mem-heavy", [0, 200]);
    expect(s.sort()).toEqual(["cpu-heavy", "mem-heavy"]);
    t.add([0, 9000]); // memory is now plentiful
    expect(s.sort()).toEqual(["mem-heavy", "cpu-heavy"]);
  });

  it("ignores excluded resource names", () => {
    const s = new DrfSorter({ totals: totals(100, 1000), excludedNameIds: new Set([1]) });
    for (const c of ["a", "b"]) addActive(s, c);
    s.allocated("a", [1, 900]);
    s.allocated("b", [2, 0]);
    expect(s.sort()).toEqual(["a", "b"]);
  });

  it("sorts subtrees by their total share in a hierarchical tree", () => {
    const s = drf(["eng/web", "eng/db", "ops"], true);
    s.allocated("eng/web", [30, 0]);
    s.allocated("ops", [20, 0]);
    // eng (30 %) goes after ops (20 %), although eng/db alone has nothing.
    expect(s.sort()).toEqual(["ops", "eng/db", "eng/web"]);
  });

  it("keeps the incremental order equal to a from-scratch sort (property)", () => {
    const names = ["f0", "f1", "f2", "f3", "f4", "f5"];
    const op = fc.record({
      c: fc.constantFrom(...names),
      cpus: fc.integer({ min: -3, max: 5 }),
      mem: fc.integer({ min: 0, max: 50 }),
      active: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), fc.integer({ min: 0, max: 80 }), (ops, growAt) => {
        const t = totals(100, 1000);
        const s = drf(names, false, t);
        const alloc = new Map(names.map((n): [string, [number, number]] => [n, [0, 0]]));
        const count = new Map(names.map((n) => [n, 0]));
        const active = new Set(names);
        ops.forEach((o, i) => {
          if (i === growAt) t.add([50, 0]);
          const a = alloc.get(o.c) as [number, number];
          if (o.cpus >= 0) {
            s.allocated(o.c, [o.cpus, o.mem]);
            a[0] += o.cpus;
            a[1] += o.mem;
            count.set(o.c, count.get(o.c)! + 1);
          } else if (a[0] >= -o.cpus) {
            s.unallocated(o.c, [-o.cpus, 0]);
            a[0] += o.cpus;
          }
          if (i % 7 === 3 && o.active) {
            s.activate(o.c);
            active.add(o.c);
          } else if (i % 7 === 3) {
            s.deactivate(o.c);
            active.delete(o.c);
          }
          if (i % 2 === 0) s.sort();
        });
        const share = (n: string) => dominantShare(alloc.get(n)!, t.values, 1);
        const expected = [...active].sort((x, y) => share(x) - share(y) || count.get(x)! - count.get(y)! || (x < y ? -1 : 1));
        expect([...s.sort()]).toEqual(expected);
      }),
    );
  });
});

describe("RandomSorter", () => {
  it("puts heavier clients first proportionally to their weight", () => {
    const s = new RandomSorter({ totals: totals(100, 1000), random: seededRandom(42) });
    for (const c of ["heavy", "light"]) addActive(s, c);
    s.updateWeight("heavy", 3);
    let heavyFirst = 0;
    const runs = 4000;
    for (let i = 0; i < runs; i++) if (s.sort()[0] === "heavy") heavyFirst++;
    // P(heavy first) = 3 / (3 + 1) = 0.75 for a weighted random permutation.
    expect(heavyFirst / runs).toBeGreaterThan(0.7);
    expect(heavyFirst / runs).toBeLessThan(0.8);
  });

  it("does not order by allocation", () => {
    const s = new RandomSorter({ totals: totals(100, 1000), random: seededRandom(1) });
    for (const c of ["a", "b"]) addActive(s, c);
    s.allocated("a", [90, 0]);
    const firsts = new Set<string>();
    for (let i = 0; i < 50; i++) firsts.add(s.sort()[0]!);
    expect(firsts).toEqual(new Set(["a", "b"]));
  });
});
