import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { agentShares, resourcesFlag } from "./shares.js";

describe("agentShares", () => {
  it("splits a 2-core 24 GiB machine between 3 agents", () => {
    const shares = agentShares({ cpus: 2, memMb: 24 * 1024, diskMb: 50 * 1024 }, 3);
    expect(shares.map((s) => resourcesFlag(s))).toEqual([
      "cpus:0.666;mem:7850;disk:15360;ports:[31000-31332]",
      "cpus:0.666;mem:7850;disk:15360;ports:[31333-31665]",
      "cpus:0.666;mem:7850;disk:15360;ports:[31666-32000]",
    ]);
  });

  it("reserves a share to a role", () => {
    const [share] = agentShares({ cpus: 1, memMb: 2048, diskMb: 10240 }, 1);
    expect(resourcesFlag(share!, "slave_public")).toBe("cpus(slave_public):1;mem(slave_public):1024;disk(slave_public):5120;ports(slave_public):[31000-32000]");
  });

  it("keeps half a machine smaller than the headroom instead of nothing", () => {
    const [share] = agentShares({ cpus: 1, memMb: 1024, diskMb: 4096 }, 1);
    expect(share).toMatchObject({ memMb: 512, diskMb: 2048 });
  });

  it("rejects more agents than ports, and bad counts", () => {
    expect(() => agentShares({ cpus: 1, memMb: 1, diskMb: 1 }, 2, { ports: [1, 1] })).toThrow(/at most 1 agents/);
    expect(() => agentShares({ cpus: 1, memMb: 1, diskMb: 1 }, -1)).toThrow(/whole number/);
    expect(agentShares({ cpus: 1, memMb: 1, diskMb: 1 }, 0)).toEqual([]);
  });

  it("never hands out more than the machine has, and port ranges are disjoint and cover the range (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 256 }),
        fc.integer({ min: 0, max: 1 << 20 }),
        fc.integer({ min: 0, max: 1 << 22 }),
        fc.integer({ min: 1, max: 64 }),
        (cpus, memMb, diskMb, count) => {
          const shares = agentShares({ cpus, memMb, diskMb }, count);
          expect(shares).toHaveLength(count);
          const sum = (f: (s: (typeof shares)[number]) => number) => shares.reduce((n, s) => n + f(s), 0);
          expect(sum((s) => s.cpus)).toBeLessThanOrEqual(cpus + 1e-9);
          expect(sum((s) => s.memMb)).toBeLessThanOrEqual(memMb);
          expect(sum((s) => s.diskMb)).toBeLessThanOrEqual(diskMb);
          expect(shares[0]!.ports[0]).toBe(31000);
          expect(shares.at(-1)!.ports[1]).toBe(32000);
          shares.forEach((s, i) => {
            expect(s.ports[0]).toBeLessThanOrEqual(s.ports[1]);
            if (i > 0) expect(s.ports[0]).toBe(shares[i - 1]!.ports[1] + 1);
            expect(Math.round(s.cpus * 1000) / 1000).toBe(s.cpus);
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
