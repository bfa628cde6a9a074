import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { BackendPool } from "./balancer.js";

const b = (port: number, weight: 0 | 1 = 1) => ({ ip: "10.0.0.1", port, weight, taskId: `t${port}` });

describe("BackendPool", () => {
  it("round-robins over healthy backends only", () => {
    const pool = new BackendPool("round_robin");
    pool.set([b(1), b(2, 0), b(3)]);
    const picks = Array.from({ length: 6 }, () => pool.pick(0)!.backend.port);
    expect(picks).toEqual([1, 3, 1, 3, 1, 3]);
  });

  it("prefers the backend with the fewest active connections", () => {
    const pool = new BackendPool("least_connections");
    pool.set([b(1), b(2), b(3)]);
    pool.state("10.0.0.1:1")!.active = 5;
    pool.state("10.0.0.1:2")!.active = 1;
    pool.state("10.0.0.1:3")!.active = 3;
    expect(pool.pick(0)!.backend.port).toBe(2);
  });

  it("skips penalised backends until the penalty ends, unless nothing else is left", () => {
    const pool = new BackendPool("round_robin");
    pool.set([b(1), b(2)]);
    pool.penalise("10.0.0.1:1", 1000);
    expect(new Set(Array.from({ length: 4 }, () => pool.pick(500)!.backend.port))).toEqual(new Set([2]));
    expect(pool.pick(500, new Set(["10.0.0.1:2"]))!.backend.port).toBe(1);
    expect(new Set(Array.from({ length: 4 }, () => pool.pick(1500)!.backend.port))).toEqual(new Set([1, 2]));
  });

  it("property: never picks a weight-0 backend and keeps counts across updates", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: 20 }), fc.constantFrom(0 as const, 1 as const)), { maxLength: 10, selector: ([p]) => p }), (list) => {
        const pool = new BackendPool("least_connections");
        pool.set(list.map(([p, w]) => b(p, w)));
        for (let i = 0; i < 10; i++) {
          const s = pool.pick(0);
          if (s) {
            expect(s.backend.weight).toBe(1);
            s.active++;
          } else expect(list.every(([, w]) => w === 0)).toBe(true);
        }
        const before = list.map(([p]) => pool.state(`10.0.0.1:${p}`)?.active);
        pool.set(list.map(([p, w]) => b(p, w)));
        expect(list.map(([p]) => pool.state(`10.0.0.1:${p}`)?.active)).toEqual(before);
      }),
    );
  });
});
