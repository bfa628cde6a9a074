import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { selectForCollection, type EndedSandbox } from "./gc.js";

const e = (app: string, n: number, endedAt: number, sizeBytes = 10): EndedSandbox => ({ key: `${app}.${n}`, appId: app, endedAt, path: `/s/${app}.${n}`, sizeBytes });

describe("sandbox GC selection", () => {
  it("keeps the newest N per app and collects older ones past the age", () => {
    const entries = [1, 2, 3, 4, 5, 6, 7].map((i) => e("web", i, i * 1000));
    const chosen = selectForCollection(entries, { keepPerApp: 5, maxAgeMs: 0, diskBudgetBytes: 1e9 }, 10_000);
    expect(chosen.map((c) => c.key)).toEqual(["web.1", "web.2"]);
  });

  it("collects nothing that is young and within budget", () => {
    const entries = [1, 2, 3, 4, 5, 6, 7].map((i) => e("web", i, i * 1000));
    expect(selectForCollection(entries, { keepPerApp: 5, maxAgeMs: 60_000, diskBudgetBytes: 1e9 }, 10_000)).toEqual([]);
  });

  it("collects the oldest first when over the disk budget, never the kept ones", () => {
    const entries = [...[1, 2, 3].map((i) => e("a", i, i, 100)), ...[1, 2, 3].map((i) => e("b", i, 10 + i, 100))];
    const chosen = selectForCollection(entries, { keepPerApp: 1, maxAgeMs: 1e12, diskBudgetBytes: 350 }, 100);
    expect(chosen.map((c) => c.key)).toEqual(["a.1", "a.2", "b.1"]);
  });

  it("never selects one of the newest keepPerApp sandboxes of an app (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ app: fc.constantFrom("a", "b", "c"), endedAt: fc.nat(1e6), size: fc.nat(1e6) }), { maxLength: 40 }),
        fc.nat(6),
        fc.nat(1e7),
        (raw, keep, budget) => {
          const entries = raw.map((r, i) => e(r.app, i, r.endedAt, r.size));
          const chosen = new Set(selectForCollection(entries, { keepPerApp: keep, maxAgeMs: 1000, diskBudgetBytes: budget }, 1e6).map((c) => c.key));
          for (const app of ["a", "b", "c"]) {
            const newest = entries.filter((x) => x.appId === app).sort((x, y) => y.endedAt - x.endedAt).slice(0, keep);
            if (newest.some((x) => chosen.has(x.key))) return false;
          }
          return true;
        },
      ),
    );
  });
});
