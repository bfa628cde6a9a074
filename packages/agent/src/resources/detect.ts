/**
 * Resource detection as Mesos does it (mesos-core.md §5.2): machine facts in, resources out. The pure
 * part (`resourcesFromFacts`) is separate from reading the facts (`readMachineFacts`) so that the
 * rules are tested without a machine.
 */
import { execFile } from "node:child_process";
import { statfs } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import type { Resource } from "@caravel/api";
import { parseResources, ranges, scalar } from "@caravel/api";

const MB = 1024 * 1024;

export interface MachineFacts {
  cpus: number;
  memBytes: number;
  /** Size of the filesystem holding the work dir. */
  diskBytes: number;
  gpus: number;
}

/** Mesos' rules: mem = total − 1 GB if total ≥ 2 GB else half; disk = size − 5 GB if ≥ 10 GB else half. */
export function detectedResources(facts: MachineFacts, role = "*"): Resource[] {
  const memMb = Math.floor(facts.memBytes / MB);
  const mem = memMb >= 2048 ? memMb - 1024 : Math.floor(memMb / 2);
  const diskMb = Math.floor(facts.diskBytes / MB);
  const disk = diskMb >= 10 * 1024 ? diskMb - 5 * 1024 : Math.floor(diskMb / 2);
  const out: Resource[] = [
    scalar("cpus", facts.cpus > 0 ? facts.cpus : 1, role),
    scalar("mem", mem > 0 ? mem : 1024, role),
    scalar("disk", disk > 0 ? disk : 10 * 1024, role),
    ranges("ports", [{ begin: 31000, end: 32000 }], role),
  ];
  if (facts.gpus > 0) out.push(scalar("gpus", facts.gpus, role));
  return out;
}

/**
 * The agent's total: detected resources, with every name given in `--resources` replaced by the
 * flag's entries (all roles of that name), as Mesos does.
 */
export function agentResources(facts: MachineFacts, flag: string | undefined, defaultRole = "*"): Resource[] {
  const detected = detectedResources(facts, defaultRole);
  if (!flag || flag.trim() === "") return detected;
  let given: Resource[];
  try {
    given = parseResources(flag, defaultRole);
  } catch (error) {
    throw new Error(`--resources: ${(error as Error).message}`);
  }
  const named = new Set(given.map((r) => r.name));
  return [...detected.filter((r) => !named.has(r.name)), ...given];
}

/** Reads CPU count, memory, the work dir's filesystem size and NVIDIA GPUs (via nvidia-smi, if it answers). */
export async function readMachineFacts(workDir: string): Promise<MachineFacts> {
  let diskBytes = 0;
  try {
    const fs = await statfs(workDir);
    diskBytes = fs.blocks * fs.bsize;
  } catch {
    diskBytes = 0;
  }
  return { cpus: cpus().length, memBytes: totalmem(), diskBytes, gpus: await countGpus() };
}

function countGpus(): Promise<number> {
  return new Promise((resolve) => {
    execFile("nvidia-smi", ["--query-gpu=index", "--format=csv,noheader"], { timeout: 5000 }, (error, stdout) => {
      if (error) return resolve(0);
      resolve(stdout.split("\n").filter((l) => l.trim() !== "").length);
    });
  });
}
