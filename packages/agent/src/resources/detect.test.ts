import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { scalarTotals, rangesOf } from "@caravel/api";
import { agentResources, detectedResources } from "./detect.js";

const GB = 1024 * 1024 * 1024;

describe("resource detection", () => {
  it("follows Mesos' memory and disk rules", () => {
    const r = scalarTotals(detectedResources({ cpus: 2, memBytes: 8 * GB, diskBytes: 100 * GB, gpus: 0 }));
    expect(r).toEqual({ cpus: 2, mem: 7 * 1024, disk: 95 * 1024 });
    const small = scalarTotals(detectedResources({ cpus: 0, memBytes: 1 * GB, diskBytes: 4 * GB, gpus: 2 }));
    expect(small).toEqual({ cpus: 1, mem: 512, disk: 2048, gpus: 2 });
  });

  it("offers ports 31000-32000", () => {
    expect(rangesOf(detectedResources({ cpus: 1, memBytes: GB, diskBytes: GB, gpus: 0 }), "ports")).toEqual([{ begin: 31000, end: 32000 }]);
  });

  it("lets --resources override per name and keeps the rest detected", () => {
    const r = agentResources({ cpus: 2, memBytes: 8 * GB, diskBytes: 100 * GB, gpus: 0 }, "cpus:4;ports:[5000-5010]");
    expect(scalarTotals(r)).toEqual({ cpus: 4, mem: 7 * 1024, disk: 95 * 1024 });
    expect(rangesOf(r, "ports")).toEqual([{ begin: 5000, end: 5010 }]);
  });

  it("reserves detected resources to --default_role (public agents)", () => {
    const r = agentResources({ cpus: 2, memBytes: 8 * GB, diskBytes: 100 * GB, gpus: 0 }, "mem:100", "slave_public");
    expect(r.every((x) => x.role === "slave_public")).toBe(true);
  });

  it("names the bad entry of --resources", () => {
    expect(() => agentResources({ cpus: 1, memBytes: GB, diskBytes: GB, gpus: 0 }, "cpus:lots")).toThrow(/--resources: .*cpus/);
  });

  it("never detects negative or zero quantities", () => {
    fc.assert(
      fc.property(fc.nat(64), fc.nat(), fc.nat(), (c, m, d) => {
        const totals = scalarTotals(detectedResources({ cpus: c, memBytes: m * 1024, diskBytes: d * 1024, gpus: 0 }));
        return totals["cpus"]! > 0 && totals["mem"]! > 0 && totals["disk"]! > 0;
      }),
    );
  });
});
