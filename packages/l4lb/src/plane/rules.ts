/**
 * The kernel plane's rules as an `iptables-restore --noflush` document for the nat table (pure).
 * Only Caravel's own chains are touched: declaring a chain in a restore file flushes just that chain,
 * so Docker's chains and everyone else's rules stay as they are. One transaction swaps every rule.
 *
 *   PREROUTING, OUTPUT → CARAVEL-VIPS: one rule per VIP (-d vip -p proto --dport port) → CARAVEL-VIP-<h>
 *   CARAVEL-VIP-<h>: pick a backend (statistic random with probability 1/(n-i), or nth) → CARAVEL-SEP-<h>
 *   CARAVEL-SEP-<h>: mark hairpin traffic (source = backend), DNAT to the backend
 *   POSTROUTING → CARAVEL-VIP-POST: MASQUERADE marked packets, so a backend reaching itself via the VIP works
 */
import { fnv1a32, type VipEntry } from "@caravel/api";

export const DEFAULT_PREFIX = "CARAVEL";
export const HAIRPIN_MARK = "0x10000/0x10000";
export type KernelBalance = "random" | "nth";

/**
 * Chain names under a prefix (≤ 7 characters keeps every name within iptables' 28): `P-VIPS`,
 * `P-VIP-POST`, `P-VIP-<hash>`, `P-SEP-<hash>`. Tests use their own prefix so that they never touch
 * a running caravel-l4lb's chains.
 */
export function chainNames(prefix = DEFAULT_PREFIX) {
  const hash = (text: string): string => (fnv1a32(text).toString(16) + fnv1a32(`x${text}`).toString(16)).toUpperCase().padStart(16, "0").slice(0, 10);
  return {
    entry: `${prefix}-VIPS`,
    post: `${prefix}-VIP-POST`,
    vip: (e: VipEntry) => `${prefix}-VIP-${hash(`${e.protocol}/${e.ip}:${e.port}`)}`,
    sep: (e: VipEntry, ip: string, port: number) => `${prefix}-SEP-${hash(`${e.protocol}/${e.ip}:${e.port}/${ip}:${port}`)}`,
    owns: (chain: string) => chain.startsWith(`${prefix}-VIP`) || chain.startsWith(`${prefix}-SEP-`),
    /** The jumps from built-in chains (installed once with `-C`/`-I`, removed at exit). */
    jumps: [
      ["PREROUTING", "-m", "comment", "--comment", `caravel-l4lb ${prefix}`, "-j", `${prefix}-VIPS`],
      ["OUTPUT", "-m", "comment", "--comment", `caravel-l4lb ${prefix}`, "-j", `${prefix}-VIPS`],
      ["POSTROUTING", "-m", "comment", "--comment", `caravel-l4lb ${prefix}`, "-j", `${prefix}-VIP-POST`],
    ] as const,
  };
}

/** The restore document for `table`; `existing` are our chains now in the kernel (stale ones get deleted). */
export function renderRules(
  table: readonly VipEntry[],
  existing: readonly string[],
  balance: KernelBalance = "random",
  prefix = DEFAULT_PREFIX,
): { text: string; chains: string[] } {
  const names = chainNames(prefix);
  const ENTRY_CHAIN = names.entry;
  const POST_CHAIN = names.post;
  const chains = new Set<string>([ENTRY_CHAIN, POST_CHAIN]);
  const rules: string[] = [`-A ${POST_CHAIN} -m mark --mark ${HAIRPIN_MARK} -j MASQUERADE`];
  for (const e of table) {
    if (e.ip.includes(":")) continue; // IPv6 VIPs need ip6tables; not programmed here
    const live = e.backends.filter((b) => b.weight > 0 && !b.ip.includes(":"));
    if (!live.length) continue;
    const chain = names.vip(e);
    chains.add(chain);
    rules.push(`-A ${ENTRY_CHAIN} -d ${e.ip}/32 -p ${e.protocol} -m ${e.protocol} --dport ${e.port} -j ${chain}`);
    live.forEach((b, i) => {
      const sep = names.sep(e, b.ip, b.port);
      chains.add(sep);
      const left = live.length - i;
      const pick =
        left === 1 ? ""
        : balance === "nth" ? `-m statistic --mode nth --every ${left} --packet 0 `
        : `-m statistic --mode random --probability ${(1 / left).toFixed(10)} `;
      rules.push(`-A ${chain} ${pick}-j ${sep}`);
      rules.push(`-A ${sep} -s ${b.ip}/32 -j MARK --set-xmark ${HAIRPIN_MARK}`);
      rules.push(`-A ${sep} -p ${e.protocol} -m ${e.protocol} -j DNAT --to-destination ${b.ip}:${b.port}`);
    });
  }
  const stale = existing.filter((c) => !chains.has(c));
  const lines = ["*nat", ...[...chains, ...stale].map((c) => `:${c} - [0:0]`), ...rules, ...stale.map((c) => `-X ${c}`), "COMMIT", ""];
  return { text: lines.join("\n"), chains: [...chains] };
}
