/**
 * The "mesos" containerizer: tasks as native processes. Each runs under a detached supervisor
 * (supervisor.ts) so it survives an agent crash; the run directory `<runDir>/<containerId>` holds
 * the supervisor's `pid` and `exit` files, which is all a new agent process needs to reattach.
 * With root and cgroup v1 each task gets memory/cpu/pids limits and OOM detection (cgroups.ts);
 * without, tasks run unconfined and that is logged once.
 * Volumes become symlinks inside the sandbox (sandbox.ts).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { CommandInfo, ContainerInfo } from "@caravel/api";
import { silentLogger, type Logger } from "@caravel/runtime";
import { fetchUris } from "../../fetcher/fetcher.js";
import type {
  CheckpointedContainer,
  ContainerExit,
  ContainerInfoReport,
  Containerizer,
  LaunchSpec,
  ResourceUsage,
} from "../types.js";
import { LaunchError } from "../types.js";
import { Cgroup, cgroupsAvailable, DEFAULT_CGROUPS, type CgroupSettings } from "./cgroups.js";
import { decodeWaitStatus, execTarget, taskEnvironment } from "./command.js";
import { runExec } from "./exec.js";
import { CLOCK_TICKS, isSameProcessAlive, readProcStat, readRssBytes } from "./proc.js";
import { SUPERVISOR_SOURCE } from "./supervisor.js";
import { chownTree, lookupUser, type UserIds } from "./user.js";
import { removeOrphanRuns } from "./orphans.js";
import { linkVolumes, pick, touchLogs } from "./sandbox.js";

export interface ProcessContainerizerOptions {
  /** Where run directories live (under the agent's work dir, outside any sandbox). */
  runDir: string;
  /** Cache for fetched URIs with `cache: true`. */
  cacheDir?: string;
  logger?: Logger;
  /** "auto" (default) uses cgroups when root and mounted; false never does. */
  cgroups?: "auto" | false;
  cgroupSettings?: CgroupSettings;
  /** pids.max per task; 0 = unlimited. */
  pidsMax?: number;
  /** Memory on top of the task's mem, as Mesos gives its command executor. */
  memAllowanceMb?: number;
  /** How often recovered containers (not our children) are checked for an exit. */
  pollMs?: number;
}

/** The checkpointed handle: enough to find the task again after an agent restart. */
interface ProcessHandle {
  pid: number;
  startTime: number;
  /** The supervisor: while it lives, a task that is gone has an exit status still to be written. */
  supervisorPid?: number;
  supervisorStartTime?: number;
  runDir: string;
  cgroup: boolean;
}

interface Entry {
  spec: LaunchSpec;
  handle: ProcessHandle;
  exit: Promise<ContainerExit>;
  settle: (exit: ContainerExit) => void;
  ended?: ContainerExit;
  /** True when this instance spawned the supervisor (its exit event fires); else we poll. */
  child: boolean;
}

export class ProcessContainerizer implements Containerizer {
  readonly name = "mesos" as const;
  private readonly entries = new Map<string, Entry>();
  private readonly log: Logger;
  private readonly useCgroups: boolean;
  private readonly cgroupSettings: CgroupSettings;
  private poller: NodeJS.Timeout | undefined;
  private warnedUser = false;

  constructor(private readonly options: ProcessContainerizerOptions) {
    this.log = options.logger ?? silentLogger();
    this.cgroupSettings = options.cgroupSettings ?? DEFAULT_CGROUPS;
    this.useCgroups = options.cgroups !== false && cgroupsAvailable(this.cgroupSettings);
    if (!this.useCgroups) this.log.warn("cgroup v1 unavailable (needs root and /sys/fs/cgroup/{memory,cpu,cpuacct,pids}): process tasks run without resource limits");
    mkdirSync(options.runDir, { recursive: true });
  }

  accepts(container: ContainerInfo | undefined): boolean {
    return container === undefined || (container.type === "MESOS" && container.mesos?.image === undefined);
  }

  async launch(spec: LaunchSpec): Promise<CheckpointedContainer> {
    if (this.entries.has(spec.containerId)) throw new LaunchError("REASON_CONTAINER_LAUNCH_FAILED", `container ${spec.containerId} already exists`);
    const target = execTarget(spec.task.command);
    await fetchUris(spec.task.command?.uris ?? [], { sandbox: spec.sandbox, cacheDir: this.options.cacheDir, user: spec.task.command?.user });
    linkVolumes(spec);
    touchLogs(spec.sandbox);
    const user = this.switchUser(spec);
    const runDir = join(this.options.runDir, spec.containerId);
    mkdirSync(runDir, { recursive: true });
    const cgroup = this.useCgroups ? new Cgroup(spec.containerId, this.cgroupSettings) : undefined;
    try {
      cgroup?.create({ ...spec.limits, pidsMax: this.options.pidsMax ?? 4096, memAllowanceMb: this.options.memAllowanceMb ?? 32 });
    } catch (err) {
      await cgroup?.remove();
      throw new LaunchError("REASON_CONTAINER_LAUNCH_FAILED", `could not set up cgroups: ${(err as Error).message}`);
    }
    const env = taskEnvironment(spec.env, process.env);
    if (user) Object.assign(env, { USER: user.name, HOME: user.home }, pick(spec.env, ["USER", "HOME"]));
    const ids = user ? `${user.uid}:${user.gid}` : "";
    const args = ["-e", SUPERVISOR_SOURCE, runDir, spec.sandbox, (cgroup?.procsFiles() ?? []).join(":"), ids, target.file, ...target.argv];
    const supervisor = spawn("perl", args, { detached: true, stdio: ["ignore", "pipe", "ignore"], env });
    supervisor.unref();
    const line = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: supervisor.stdout });
      lines.once("line", (first) => {
        lines.close();
        resolve(first);
      });
      supervisor.once("error", (err) => reject(new LaunchError("REASON_CONTAINER_LAUNCH_FAILED", `could not start the supervisor (perl): ${err.message}`)));
      supervisor.once("exit", (code) => {
        // A quick task can end (and the supervisor with it) before its stdout line is read.
        const recorded = readPidFile(runDir);
        if (recorded) resolve(recorded);
        else reject(new LaunchError("REASON_CONTAINER_LAUNCH_FAILED", `the supervisor exited with ${code} before starting the task`));
      });
    }).catch(async (err: unknown) => {
      await cgroup?.remove();
      throw err;
    });
    (supervisor.stdout as NodeJS.ReadableStream & { destroy(): void }).destroy();
    const [pid, startTime, supervisorPid, supervisorStartTime] = line.trim().split(" ").map(Number) as [number, number, number, number];
    const handle: ProcessHandle = { pid, startTime, supervisorPid, supervisorStartTime, runDir, cgroup: cgroup !== undefined };
    const entry = this.track(spec, handle, true);
    if (supervisor.exitCode !== null || supervisor.signalCode !== null) this.collect(entry);
    else supervisor.once("exit", () => this.collect(entry));
    this.log.info({ containerId: spec.containerId, pid }, "process task started");
    return { containerId: spec.containerId, containerizer: "mesos", handle: { ...handle }, spec };
  }

  /** The user to run as (Mesos' --switch_user): only as root, and the sandbox becomes theirs. */
  private switchUser(spec: LaunchSpec): UserIds | undefined {
    const name = spec.task.command?.user;
    if (!name) return undefined;
    if (process.getuid?.() !== 0) {
      if (!this.warnedUser) this.log.warn({ user: name }, "command.user is ignored: the agent is not root, tasks run as the agent's user");
      this.warnedUser = true;
      return undefined;
    }
    const user = lookupUser(name);
    chownTree(spec.sandbox, user.uid, user.gid);
    return user;
  }

  wait(containerId: string): Promise<ContainerExit> {
    return this.get(containerId).exit;
  }

  async kill(containerId: string, gracePeriodMs: number): Promise<void> {
    const entry = this.get(containerId);
    if (entry.ended) return;
    this.signal(entry, "SIGTERM");
    const timer = setTimeout(() => this.signal(entry, "SIGKILL"), Math.max(0, gracePeriodMs));
    try {
      await entry.exit;
    } finally {
      clearTimeout(timer);
    }
  }

  async recover(containers: CheckpointedContainer[]): Promise<string[]> {
    const running: string[] = [];
    for (const c of containers) {
      if (c.containerizer !== "mesos") continue;
      const handle = c.handle as unknown as ProcessHandle;
      const entry = this.entries.get(c.containerId) ?? this.track(c.spec, handle, false);
      this.collect(entry);
      if (!entry.ended) running.push(c.containerId);
    }
    this.ensurePoller();
    return running;
  }

  /**
   * Kills and cleans up tasks whose run directory no checkpoint knows (launched just before a crash
   * that lost the checkpoint), as Mesos destroys unknown containers on recovery. Returns their ids.
   */
  async removeOrphans(keep: Iterable<string>): Promise<string[]> {
    const known = new Set([...keep, ...this.entries.keys()]);
    const orphans = await removeOrphanRuns(this.options.runDir, known, this.cgroupSettings);
    if (orphans.length > 0) this.log.info({ orphans }, "removed orphan process containers");
    return orphans;
  }

  exec(containerId: string, command: CommandInfo, timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    const entry = this.get(containerId);
    return runExec(execTarget(command), { cwd: entry.spec.sandbox, env: taskEnvironment(entry.spec.env, process.env), timeoutMs });
  }

  info(containerId: string): ContainerInfoReport {
    return { pid: this.get(containerId).handle.pid };
  }

  async usage(containerId: string): Promise<ResourceUsage | undefined> {
    const entry = this.entries.get(containerId);
    if (!entry || entry.ended) return undefined;
    const base = { cpusLimit: entry.spec.limits.cpus, timestamp: Date.now() / 1000 };
    const group = entry.handle.cgroup ? new Cgroup(containerId, this.cgroupSettings) : undefined;
    const cg = group?.usage();
    if (group && cg) {
      // cgroup v1 charges pages to the cgroup that first touched them: a task moved in right after its
      // fork can show no rss there yet, while its processes plainly have some.
      const rss = cg.rssBytes || group.pids().reduce((sum, pid) => sum + readRssBytes(pid), 0);
      return { ...base, cpusUserTimeSecs: cg.userSecs, cpusSystemTimeSecs: cg.systemSecs, memRssBytes: rss, memLimitBytes: cg.limitBytes };
    }
    const stat = readProcStat(entry.handle.pid);
    if (!stat) return undefined;
    return {
      ...base,
      cpusUserTimeSecs: stat.utime / CLOCK_TICKS,
      cpusSystemTimeSecs: stat.stime / CLOCK_TICKS,
      memRssBytes: readRssBytes(entry.handle.pid),
      memLimitBytes: entry.spec.limits.memMb * 1024 * 1024,
    };
  }

  async destroy(containerId: string): Promise<void> {
    const entry = this.entries.get(containerId);
    if (!entry) return;
    if (!entry.ended) await this.kill(containerId, 0);
    if (entry.handle.cgroup) await new Cgroup(containerId, this.cgroupSettings).remove();
    rmSync(entry.handle.runDir, { recursive: true, force: true });
    this.entries.delete(containerId);
  }

  async close(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
  }

  private track(spec: LaunchSpec, handle: ProcessHandle, child: boolean): Entry {
    let settle!: (exit: ContainerExit) => void;
    const exit = new Promise<ContainerExit>((resolve) => (settle = resolve));
    const entry: Entry = { spec, handle, exit, settle, child };
    this.entries.set(spec.containerId, entry);
    return entry;
  }

  /** Settles the entry if the task has ended: from the `exit` file, or as lost if the pid is gone without one. */
  private collect(entry: Entry): void {
    if (entry.ended) return;
    const exitFile = join(entry.handle.runDir, "exit");
    let exit: ContainerExit | undefined;
    if (existsSync(exitFile)) {
      const status = Number(readFileSync(exitFile, "utf8").trim());
      exit = Number.isInteger(status) && status >= 0 ? decodeWaitStatus(status) : { exitCode: null, reason: "REASON_EXECUTOR_TERMINATED", message: "the supervisor could not collect the task's exit status" };
    } else if (!isSameProcessAlive(entry.handle.pid, entry.handle.startTime)) {
      // Re-check: the supervisor may have written the file between the two reads.
      if (existsSync(exitFile)) return this.collect(entry);
      const { supervisorPid, supervisorStartTime } = entry.handle;
      const supervising = supervisorPid !== undefined && supervisorStartTime !== undefined && isSameProcessAlive(supervisorPid, supervisorStartTime);
      if (!entry.child && !supervising) exit = { exitCode: null, reason: "REASON_EXECUTOR_TERMINATED", message: "the task ended while the agent was down and its exit status was lost (supervisor gone)" };
    }
    if (!exit) return;
    if (entry.handle.cgroup && new Cgroup(entry.spec.containerId, this.cgroupSettings).oomKilled()) {
      const limit = entry.spec.limits.memMb;
      exit = { ...exit, oomKilled: true, reason: "REASON_CONTAINER_LIMITATION_MEMORY", message: `Memory limit exceeded: the task used more than its ${limit} MB (+${this.options.memAllowanceMb ?? 32} MB allowance) and was OOM-killed` };
    }
    entry.ended = exit;
    entry.settle(exit);
  }

  private signal(entry: Entry, signal: NodeJS.Signals): void {
    if (!isSameProcessAlive(entry.handle.pid, entry.handle.startTime)) return;
    for (const target of [-entry.handle.pid, entry.handle.pid]) {
      try {
        process.kill(target, signal);
      } catch {
        // The group may not exist yet (setsid not reached) or be gone already.
      }
    }
    if (entry.handle.cgroup) new Cgroup(entry.spec.containerId, this.cgroupSettings).signalAll(signal);
    if (!entry.child) this.ensurePoller();
  }

  private ensurePoller(): void {
    if (this.poller) return;
    this.poller = setInterval(() => {
      let pending = 0;
      for (const entry of this.entries.values()) {
        if (entry.ended || entry.child) continue;
        this.collect(entry);
        if (!entry.ended) pending++;
      }
      if (pending === 0 && this.poller) {
        clearInterval(this.poller);
        this.poller = undefined;
      }
    }, this.options.pollMs ?? 100);
    this.poller.unref();
  }

  private get(containerId: string): Entry {
    const entry = this.entries.get(containerId);
    if (!entry) throw new Error(`unknown container ${containerId}`);
    return entry;
  }
}

function readPidFile(runDir: string): string | undefined {
  try {
    return readFileSync(join(runDir, "pid"), "utf8");
  } catch {
    return undefined;
  }
}
