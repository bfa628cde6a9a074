/**
 * VIP declarations (dcos-services.md §4.1–4.2): parsing port labels, mangling VIP names into DNS
 * labels, and hashing named VIPs to stable addresses. Pure and shared: caravel-dns answers
 * `<name>.<fw>.l4lb.thisdcos.directory` with exactly the address caravel-l4lb programs, because both
 * call `assignVipAddresses` on the same set of names.
 */

/** The DNS zone of named VIPs. */
export const L4LB_ZONE = "l4lb.thisdcos.directory";

/** A parsed VIP label value. */
export type VipSpec =
  | { readonly kind: "named"; readonly name: string; readonly port: number }
  | { readonly kind: "ip"; readonly ip: string; readonly port: number };

/** True for label keys that declare a VIP: any key starting with `VIP` or `vip`, except legacy `VIP_PORT<n>`. */
export const isVipLabelKey = (key: string): boolean => /^(VIP|vip)/.test(key) && !/^VIP_PORT\d+$/.test(key);

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
export const isIpv4 = (s: string): boolean => IPV4.test(s);

/**
 * Parses `"/name:port"`, `"name:port"`, `"10.0.0.1:80"`, `"[fd00::1]:80"` (and the legacy
 * `"tcp://name:port"`). Returns undefined for anything else: a VIP port must be an integer 1–65535.
 */
export function parseVipValue(value: string): (VipSpec & { protocol?: "tcp" | "udp" }) | undefined {
  let text = value.trim();
  let protocol: "tcp" | "udp" | undefined;
  const scheme = /^(tcp|udp):\/\//i.exec(text);
  if (scheme) {
    protocol = scheme[1]!.toLowerCase() as "tcp" | "udp";
    text = text.slice(scheme[0].length);
  }
  const colon = text.lastIndexOf(":");
  if (colon <= 0) return undefined;
  const host = text.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
  const portText = text.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port < 1 || port > 65535) return undefined;
  const withProto = <T extends VipSpec>(spec: T) => (protocol ? { ...spec, protocol } : spec);
  if (isIpv4(host) || (host.includes(":") && /^[0-9a-fA-F:.]+$/.test(host))) return withProto({ kind: "ip", ip: host, port });
  const name = host.replace(/^\/+/, "");
  if (!name) return undefined;
  return withProto({ kind: "named", name, port });
}

/** One DNS label as `mesos_state:domain_frag` makes it: lowercase, `[a-z0-9-]`, `-_.` → `-`, rest dropped. */
export function vipLabel(part: string): string {
  return part
    .toLowerCase()
    .replace(/[-_.]/g, "-")
    .replace(/[^a-z0-9-]/g, "")
    .replace(/^-+/, "")
    .slice(0, 63)
    .replace(/-+$/, "");
}

/** A dotted name made of sanitised labels; empty labels disappear (`/a/b` → `ab`, `my.app` → `my.app`). */
export function domainFrag(name: string): string {
  return name
    .split(".")
    .map(vipLabel)
    .filter((l) => l !== "")
    .join(".");
}

/** The fully qualified name of a named VIP: `<name>.<framework>.l4lb.thisdcos.directory`. */
export const vipFqdn = (name: string, framework: string): string => {
  const fw = domainFrag(framework) || "unknown";
  return `${domainFrag(name) || "vip"}.${fw}.${L4LB_ZONE}`;
};

/** 32-bit FNV-1a: tiny, stable across runtimes and platforms, good enough spread for address hashing. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export const ipv4ToInt = (ip: string): number => ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
export const intToIpv4 = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");

/** Parses `a.b.c.d/len` into the first and last usable host addresses (network and broadcast excluded). */
export function parseCidr(cidr: string): { first: number; size: number } {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr.trim());
  if (!m || !isIpv4(m[1]!) || Number(m[2]) > 30 || Number(m[2]) < 8) {
    throw new RangeError(`VIP pool "${cidr}" must be an IPv4 CIDR between /8 and /30, e.g. 11.0.0.0/8`);
  }
  const len = Number(m[2]);
  const block = 2 ** (32 - len);
  const base = ipv4ToInt(m[1]!) - (ipv4ToInt(m[1]!) % block);
  return { first: base + 1, size: block - 2 };
}

/** Addresses never handed out (loopback's own address and systemd-resolved's stub). */
const RESERVED = new Set([ipv4ToInt("127.0.0.1"), ipv4ToInt("127.0.0.53")]);

/**
 * Stable addresses for named VIPs: each name hashes into the pool; on a collision the next free
 * address is taken. Names are placed in (hash, name) order so the result depends only on the set,
 * never on the order names were seen — DNS and the load balancer always agree.
 */
export function assignVipAddresses(names: Iterable<string>, cidr: string): Map<string, string> {
  const { first, size } = parseCidr(cidr);
  const unique = [...new Set(names)];
  if (unique.length > size) throw new RangeError(`VIP pool ${cidr} has ${size} addresses but ${unique.length} named VIPs exist`);
  const ordered = unique.map((name) => ({ name, slot: fnv1a32(name) % size })).sort((a, b) => a.slot - b.slot || (a.name < b.name ? -1 : 1));
  const taken = new Set<number>();
  const out = new Map<string, string>();
  for (const { name, slot } of ordered) {
    let s = slot;
    while (taken.has(s) || RESERVED.has(first + s)) s = (s + 1) % size;
    taken.add(s);
    out.set(name, intToIpv4(first + s));
  }
  return out;
}
