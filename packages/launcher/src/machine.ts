/** Facts about this machine that shape the local cluster: its size, Docker, the agent's containerizers. */
import { execFile } from "node:child_process";
import { existsSync, statfsSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import type { MachineResources } from "./shares.js";

const MiB = 1024 * 1024;

/** CPUs, total memory and the free disk of the file system holding `dir`. */
export function machineResources(dir: string): MachineResources {
  let diskMb = 10 * 1024;
  try {
    const fs = statfsSync(dir);
    diskMb = Math.floor((fs.bavail * fs.bsize) / MiB);
  } catch {
    // unknown: assume a modest 10 GiB
  }
  return { cpus: cpus().length, memMb: Math.floor(totalmem() / MiB), diskMb };
}

function run(command: string, args: string[], timeoutMs: number): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs }, (error, stdout, stderr) => resolve({ ok: !error, out: `${stdout}${stderr}` }));
  });
}

/** Whether a Docker engine answers (`docker info`). */
export async function dockerAvailable(): Promise<boolean> {
  return (await run("docker", ["info", "--format", "{{.ServerVersion}}"], 10_000)).ok;
}

/**
 * The agents' containerizers: "mesos" always, plus "docker" when an engine answers; "sim" when the
 * built agent does not know the real ones yet (its `--help` does not mention them).
 */
export async function detectContainerizers(agentBin: string): Promise<string> {
  if (existsSync(agentBin)) {
    const help = await run(process.execPath, [agentBin, "--help"], 15_000);
    if (help.ok && !/\bmesos\b/.test(help.out)) return "sim";
  }
  return (await dockerAvailable()) ? "mesos,docker" : "mesos";
}
