/**
 * Raises this process's open-file limit for large simulations (each simulated agent holds a
 * connection to the master). Uses prlimit(1) on our own pid, which root may raise past the hard
 * limit; otherwise the soft limit up to the hard one. Returns the limit in force afterwards.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

function currentLimit(): { soft: number; hard: number } | undefined {
  try {
    const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"));
    const m = line && /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(line);
    if (!m) return undefined;
    const n = (s: string) => (s === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(s));
    return { soft: n(m[1]!), hard: n(m[2]!) };
  } catch {
    return undefined;
  }
}

export function raiseOpenFileLimit(wanted: number): { soft: number; raised: boolean; advice?: string } {
  const before = currentLimit();
  if (before && before.soft >= wanted) return { soft: before.soft, raised: false };
  for (const limit of [`${wanted}:${wanted}`, `${before?.hard ?? wanted}:${before?.hard ?? wanted}`]) {
    try {
      execFileSync("prlimit", ["--pid", String(process.pid), `--nofile=${limit}`], { stdio: "ignore" });
      const after = currentLimit();
      if (after && after.soft >= wanted) return { soft: after.soft, raised: true };
    } catch {
      // prlimit missing or not permitted: try the next, then advise
    }
  }
  const soft = currentLimit()?.soft ?? 0;
  return { soft, raised: false, advice: `open-file limit is ${soft}, below the ${wanted} this simulation needs; run 'ulimit -n ${wanted}' (as root) before caravel-agent` };
}
