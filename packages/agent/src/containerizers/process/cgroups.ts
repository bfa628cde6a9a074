/**
 * cgroup v1 limits for process tasks (this machine mounts v1: memory, cpu, cpuacct, pids). One
 * directory per container under `<mount>/<controller>/<root>/<containerId>`:
 * - memory.limit_in_bytes = mem + an allowance (Mesos gives the command executor 32 MB on top);
 * - cpu.shares = cpus × 1024 and a CFS quota of cpus × period (hard cap);
 * - pids.max against fork bombs.
 * OOM kills show in memory.oom_control (`oom_kill N`) and memory.failcnt. Everything here is
 * best-effort around the kernel's own semantics; callers decide whether cgroups are available.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const CONTROLLERS = ["memory", "cpu", "cpuacct", "pids"] as const;
export type Controller = (typeof CONTROLLERS)[number];

export interface CgroupLimits {
  cpus: number;
  memMb: number;
  pidsMax: number;
  memAllowanceMb: number;
}

export interface CgroupSettings {
  mount: string;
  root: string;
}

export const DEFAULT_CGROUPS: CgroupSettings = { mount: "/sys/fs/cgroup", root: "caravel" };
const CFS_PERIOD_US = 100_000;

/** Whether v1 controllers are mounted and writable (root). */
export function cgroupsAvailable(settings: CgroupSettings = DEFAULT_CGROUPS): boolean {
  try {
    for (const c of CONTROLLERS) accessSync(join(settings.mount, c, "cgroup.procs"), constants.W_OK);
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
}

/** Pure: the files to write for a container's limits, by controller. */
export function limitFiles(limits: CgroupLimits): Array<[Controller, string, string]> {
  const files: Array<[Controller, string, string]> = [];
  if (limits.memMb > 0) {
    const bytes = Math.round((limits.memMb + limits.memAllowanceMb) * 1024 * 1024);
    files.push(["memory", "memory.limit_in_bytes", String(bytes)]);
  }
  if (limits.cpus > 0) {
    files.push(["cpu", "cpu.shares", String(Math.max(2, Math.round(limits.cpus * 1024)))]);
    files.push(["cpu", "cpu.cfs_period_us", String(CFS_PERIOD_US)]);
    files.push(["cpu", "cpu.cfs_quota_us", String(Math.max(1000, Math.round(limits.cpus * CFS_PERIOD_US)))]);
  }
  if (limits.pidsMax > 0) files.push(["pids", "pids.max", String(limits.pidsMax)]);
  return files;
}

export class Cgroup {
  constructor(
    readonly containerId: string,
    readonly settings: CgroupSettings = DEFAULT_CGROUPS,
  ) {}

  path(controller: Controller): string {
    return join(this.settings.mount, controller, this.settings.root, this.containerId);
  }

  /** cgroup.procs files the supervisor's child writes its pid into before exec. */
  procsFiles(): string[] {
    return CONTROLLERS.map((c) => join(this.path(c), "cgroup.procs"));
  }

  create(limits: CgroupLimits): void {
    for (const c of CONTROLLERS) mkdirSync(this.path(c), { recursive: true });
    for (const [controller, file, value] of limitFiles(limits)) writeFileSync(join(this.path(controller), file), value);
  }

  exists(): boolean {
    return existsSync(this.path("memory"));
  }

  /** Whether the kernel's OOM killer acted inside this cgroup. */
  oomKilled(): boolean {
    const control = this.read("memory", "memory.oom_control");
    const kills = /oom_kill (\d+)/.exec(control ?? "");
    if (kills) return Number(kills[1]) > 0;
    return Number(this.read("memory", "memory.failcnt") ?? 0) > 0 && /under_oom 1/.test(control ?? "");
  }

  pids(): number[] {
    return (this.read("pids", "cgroup.procs") ?? "")
      .split("\n")
      .filter((s) => s !== "")
      .map(Number);
  }

  signalAll(signal: NodeJS.Signals): void {
    for (const pid of this.pids()) {
      try {
        process.kill(pid, signal);
      } catch {
        // Already gone.
      }
    }
  }

  usage(): { userSecs: number; systemSecs: number; rssBytes: number; limitBytes: number } | undefined {
    const cpu = this.read("cpuacct", "cpuacct.stat");
    const mem = this.read("memory", "memory.stat");
    if (cpu === undefined || mem === undefined) return undefined;
    const field = (text: string, name: string): number => Number(new RegExp(`^${name} (\\d+)$`, "m").exec(text)?.[1] ?? 0);
    return {
      userSecs: field(cpu, "user") / 100,
      systemSecs: field(cpu, "system") / 100,
      rssBytes: field(mem, "total_rss") || field(mem, "rss"),
      limitBytes: Number(this.read("memory", "memory.limit_in_bytes") ?? 0),
    };
  }

  /** Kills what is left and removes the directories; safe to call again. */
  async remove(): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      this.signalAll("SIGKILL");
      let busy = false;
      for (const c of CONTROLLERS) {
        try {
          rmdirSync(this.path(c));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ENOENT") busy = true;
        }
      }
      if (!busy) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private read(controller: Controller, file: string): string | undefined {
    try {
      return readFileSync(join(this.path(controller), file), "utf8");
    } catch {
      return undefined;
    }
  }
}
