import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { assignVipAddresses, domainFrag, ipv4ToInt, isVipLabelKey, parseCidr, parseVipValue, vipFqdn } from "./vip.js";

describe("VIP labels", () => {
  it("parses named, IP and legacy values", () => {
    expect(parseVipValue("/redis:6379")).toEqual({ kind: "named", name: "redis", port: 6379 });
    expect(parseVipValue("my-group/my-app:5555")).toEqual({ kind: "named", name: "my-group/my-app", port: 5555 });
    expect(parseVipValue("10.0.0.1:80")).toEqual({ kind: "ip", ip: "10.0.0.1", port: 80 });
    expect(parseVipValue("[fd01:c::1]:80")).toEqual({ kind: "ip", ip: "fd01:c::1", port: 80 });
    expect(parseVipValue("udp://dns:53")).toEqual({ kind: "named", name: "dns", port: 53, protocol: "udp" });
    for (const bad of ["redis", "redis:0", "redis:70000", "redis:x", ":80", "/:80"]) expect(parseVipValue(bad)).toBeUndefined();
  });

  it("recognises VIP keys", () => {
    expect(["VIP_0", "VIP_1", "vip", "vipName"].every(isVipLabelKey)).toBe(true);
    expect(["VIP_PORT0", "HAPROXY_0_VHOST", "xVIP"].some(isVipLabelKey)).toBe(false);
  });

  it("mangles names as dcos-net does", () => {
    expect(vipFqdn("/my-group/my-app", "marathon")).toBe("my-groupmy-app.marathon.l4lb.thisdcos.directory");
    expect(vipFqdn("/redis", "marathon")).toBe("redis.marathon.l4lb.thisdcos.directory");
    expect(domainFrag("My_App.Prod")).toBe("my-app.prod");
  });
});

describe("VIP addresses", () => {
  it("are stable, inside the pool and unique", () => {
    const a = assignVipAddresses(["a.marathon", "b.marathon", "c.marathon"], "11.0.0.0/8");
    const b = assignVipAddresses(["c.marathon", "a.marathon", "b.marathon"], "11.0.0.0/8");
    expect([...a].sort()).toEqual([...b].sort());
    for (const ip of a.values()) expect(ip.startsWith("11.")).toBe(true);
  });

  it("resolve collisions deterministically (property: any set, any order, tiny pool)", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }), { maxLength: 12 }), (names) => {
        const pool = "10.1.2.0/28"; // 14 addresses: collisions are common
        const forward = assignVipAddresses(names, pool);
        const backward = assignVipAddresses([...names].reverse(), pool);
        expect(new Set(forward.values()).size).toBe(names.length);
        for (const n of names) expect(forward.get(n)).toBe(backward.get(n));
        const { first, size } = parseCidr(pool);
        for (const ip of forward.values()) expect(ipv4ToInt(ip) - first).toBeLessThan(size);
      }),
    );
  });

  it("never hands out 127.0.0.1 in the loopback pool and rejects bad pools", () => {
    const many = assignVipAddresses(Array.from({ length: 2000 }, (_, i) => `n${i}`), "127.0.0.0/16");
    expect([...many.values()]).not.toContain("127.0.0.1");
    expect(() => parseCidr("11.0.0.0")).toThrow(/CIDR/);
  });
});
