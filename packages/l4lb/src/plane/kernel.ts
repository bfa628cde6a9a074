/**
 * The kernel data plane: iptables NAT (this kernel has no IPVS; env-setup-notes.md §6). Rules come
 * from `renderRules` and are swapped in one `iptables-restore --noflush` transaction. At start the
 * plane reconciles (stale Caravel chains from a killed run are removed), at close it removes its
 * jumps, chains and VIP addresses. Existing connections keep their conntrack entry, so a removed or
 * unhealthy backend finishes what it has (draining) but gets no new connections.
 */
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import type { VipEntry } from "@caravel/api";
import { chainNames, DEFAULT_PREFIX, renderRules, type KernelBalance } from "./rules.js";
import type { DataPlane } from "./types.js";

const run = promisify(execFile);

async function restore(text: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn("iptables-restore", ["--noflush"], { stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`iptables-restore failed (${code}): ${stderr.trim()}`))));
    child.stdin.end(text);
  });
}

/** The chains of `prefix` currently in the nat table. */
export async function caravelChains(prefix = DEFAULT_PREFIX): Promise<string[]> {
  const { stdout } = await run("iptables", ["-t", "nat", "-S"]);
  const owns = chainNames(prefix).owns;
  return stdout
    .split("\n")
    .map((l) => /^-N (\S+)/.exec(l)?.[1])
    .filter((c): c is string => !!c && owns(c));
}

/** True when iptables' nat table can be read and written here (root, xtables available). */
export async function kernelPlaneAvailable(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  try {
    await run("iptables", ["-t", "nat", "-S", "OUTPUT"]);
    await run("iptables-restore", ["--version"]);
    return true;
  } catch {
    return false;
  }
}

export interface KernelPlaneOptions {
  balance?: KernelBalance;
  /** Put VIP addresses on `lo` so host-originated traffic has a local route (default true). */
  addAddresses?: boolean;
  /** Chain-name prefix (≤ 7 characters); `CARAVEL` by default. */
  prefix?: string;
}

export async function createKernelPlane(options: KernelPlaneOptions = {}): Promise<DataPlane> {
  const balance = options.balance ?? "random";
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const names = chainNames(prefix);
  let chains = await caravelChains(prefix);
  const addresses = new Set<string>();

  const syncAddresses = async (table: readonly VipEntry[]) => {
    if (options.addAddresses === false) return;
    const wanted = new Set(table.filter((e) => !e.ip.includes(":") && e.backends.length).map((e) => e.ip));
    for (const ip of wanted) {
      if (addresses.has(ip)) continue;
      await run("ip", ["addr", "replace", `${ip}/32`, "dev", "lo"]);
      addresses.add(ip);
    }
    for (const ip of [...addresses]) {
      if (wanted.has(ip)) continue;
      await run("ip", ["addr", "del", `${ip}/32`, "dev", "lo"]).catch(() => undefined);
      addresses.delete(ip);
    }
  };

  const apply = async (table: readonly VipEntry[]) => {
    const { text, chains: now } = renderRules(table, chains, balance, prefix);
    await restore(text);
    chains = now;
    await syncAddresses(table);
  };

  // Reconcile: rebuild our chains from nothing, then make sure the jumps exist exactly once.
  await apply([]);
  for (const jump of names.jumps) {
    const ok = await run("iptables", ["-t", "nat", "-C", ...jump]).then(() => true, () => false);
    if (!ok) await run("iptables", ["-t", "nat", "-I", jump[0]!, "1", ...jump.slice(1)]);
  }

  let queue: Promise<void> = Promise.resolve();
  return {
    kind: "kernel",
    apply(table) {
      queue = queue.then(() => apply(table));
      return queue;
    },
    async close() {
      await queue.catch(() => undefined);
      for (const jump of names.jumps) {
        while (await run("iptables", ["-t", "nat", "-D", ...jump]).then(() => true, () => false));
      }
      const all = [...new Set([...(await caravelChains(prefix)), names.entry, names.post])];
      await restore(["*nat", ...all.map((c) => `:${c} - [0:0]`), ...all.map((c) => `-X ${c}`), "COMMIT", ""].join("\n"));
      await syncAddresses([]);
    },
  };
}
