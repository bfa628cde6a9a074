import { describe, expect, it } from "vitest";
import type { VipEntry } from "@caravel/api";
import { chainNames, renderRules } from "./rules.js";

const entry: VipEntry = {
  key: "web.marathon.l4lb.thisdcos.directory:80",
  protocol: "tcp",
  fqdn: "web.marathon.l4lb.thisdcos.directory",
  ip: "11.1.2.3",
  port: 80,
  backends: [
    { ip: "10.0.0.1", port: 31000, weight: 1, taskId: "a" },
    { ip: "10.0.0.2", port: 31000, weight: 1, taskId: "b" },
    { ip: "10.0.0.3", port: 31000, weight: 0, taskId: "c" },
  ],
};

describe("renderRules", () => {
  it("balances over healthy backends only, with hairpin marks, in Caravel's own chains", () => {
    const { text, chains } = renderRules([entry], [], "random");
    expect(text.startsWith("*nat\n")).toBe(true);
    expect(text).toContain("-A CARAVEL-VIPS -d 11.1.2.3/32 -p tcp -m tcp --dport 80 -j CARAVEL-VIP-");
    expect(text).toContain("-m statistic --mode random --probability 0.5000000000");
    expect(text).toContain("DNAT --to-destination 10.0.0.1:31000");
    expect(text).not.toContain("10.0.0.3");
    expect(text).toContain("-A CARAVEL-VIP-POST -m mark --mark 0x10000/0x10000 -j MASQUERADE");
    expect(chains.every((c) => c.length <= 28 && c.startsWith("CARAVEL-"))).toBe(true);
    expect(text).not.toMatch(/^-[FX] (PREROUTING|OUTPUT|POSTROUTING|DOCKER)/m);
  });

  it("uses nth mode and deletes stale chains in the same transaction", () => {
    const { text } = renderRules([entry], ["CARAVEL-VIP-OLD0000000"], "nth");
    expect(text).toContain("--mode nth --every 2 --packet 0");
    expect(text).toContain(":CARAVEL-VIP-OLD0000000 - [0:0]");
    expect(text.trim().split("\n").slice(-2)).toEqual(["-X CARAVEL-VIP-OLD0000000", "COMMIT"]);
  });

  it("keeps prefixes apart", () => {
    expect(chainNames("CVK1").owns("CARAVEL-VIPS")).toBe(false);
    expect(chainNames().owns("CVK1-VIPS")).toBe(false);
    expect(chainNames().owns("CARAVEL-SEP-0123456789")).toBe(true);
  });
});
