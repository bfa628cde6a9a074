/**
 * The sim containerizer: no process at all, a timer per scripted task, so that one machine can run
 * thousands of simulated agents. A container is a few fields and at most one timer.
 *
 * It keeps the same contract as the real containerizers (containerizer.contract.ts), including
 * surviving an agent restart: the checkpointed handle holds the start time and the spec holds the
 * script, so a new instance knows which "running" containers still run and which ended meanwhile
 * (a scripted run time that passed, an exit file that appeared). Kills are the one outcome a script
 * cannot recompute; with a `stateDir` they are appended to `<stateDir>/exits` and read back on recovery.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CommandInfo, ContainerInfo } from "@caravel/api";
import type { CheckpointedContainer, ContainerExit, Containerizer, ContainerInfoReport, LaunchSpec, ResourceUsage } from "../types.js";
import { LaunchError } from "../types.js";
import { simExec, simScript, type SimScript } from "./script.js";

interface SimContainer {
  startedAt: number;
  script: SimScript;
  sandbox: string;
  cpus: number;
  memMb: number;
  exit?: ContainerExit;
  timer?: ReturnType<typeof setTimeout>;
  poll?: ReturnType<typeof setInterval>;
  /** SIGKILL after the grace period, for a task that ignores SIGTERM. */
  killTimer?: ReturnType<typeof setTimeout>;
  waiters?: Array<(exit: ContainerExit) => void>;
}

export interface SimOptions {
  now?: () => number;
  /** Where kills are recorded so that a new instance knows of them; none: kills are forgotten on restart. */
  stateDir?: string;
  /** How often an exit file is looked for (ms). */
  pollMs?: number;
}

const LOST: ContainerExit = { exitCode: null, reason: "REASON_AGENT_RESTARTED", message: "the sim container's checkpoint has no start time or script" };

export class SimContainerizer implements Containerizer {
  readonly name = "sim" as const;
  private readonly containers = new Map<string, SimContainer>();
  private readonly now: () => number;

  constructor(private readonly options: SimOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  accepts(_container: ContainerInfo | undefined): boolean {
    return true;
  }

  launch(spec: LaunchSpec): Promise<CheckpointedContainer> {
    let script: SimScript;
    try {
      script = simScript(spec.task);
    } catch (error) {
      return Promise.reject(new LaunchError("REASON_CONTAINER_LAUNCH_FAILED", (error as Error).message));
    }
    if (script.failLaunch) return Promise.reject(new LaunchError("REASON_CONTAINER_LAUNCH_FAILED", script.failLaunch));
    if (this.containers.has(spec.containerId)) {
      return Promise.reject(new LaunchError("REASON_CONTAINER_LAUNCH_FAILED", `container ${spec.containerId} already exists`));
    }
    const c: SimContainer = { startedAt: this.now(), script, sandbox: spec.sandbox, cpus: spec.limits.cpus, memMb: spec.limits.memMb };
    this.containers.set(spec.containerId, c);
    this.schedule(c);
    return Promise.resolve({ containerId: spec.containerId, containerizer: "sim", handle: { startedAt: c.startedAt }, spec });
  }

  wait(containerId: string): Promise<ContainerExit> {
    const c = this.containers.get(containerId);
    if (!c) return Promise.resolve({ exitCode: null, message: `unknown sim container ${containerId}` });
    if (c.exit) return Promise.resolve(c.exit);
    return new Promise((resolve) => (c.waiters ??= []).push(resolve));
  }

  kill(containerId: string, gracePeriodMs: number): Promise<void> {
    const c = this.containers.get(containerId);
    if (!c || c.exit) return Promise.resolve();
    const ended = this.wait(containerId).then(() => undefined);
    if (c.script.ignoreTerm) {
      // SIGTERM is ignored; SIGKILL follows the grace period (once, however often kill is called).
      c.killTimer ??= setTimeout(() => this.killed(containerId, c, { exitCode: null, signal: "SIGKILL" }), gracePeriodMs);
      return ended;
    }
    this.killed(containerId, c, c.script.termExitCode !== undefined ? { exitCode: c.script.termExitCode } : { exitCode: null, signal: "SIGTERM" });
    return ended;
  }

  recover(containers: CheckpointedContainer[]): Promise<string[]> {
    const kills = this.readKills();
    const running: string[] = [];
    for (const cp of containers) {
      const known = this.containers.get(cp.containerId);
      if (known) {
        if (!known.exit) running.push(cp.containerId);
        continue;
      }
      const startedAt = cp.handle["startedAt"];
      let script: SimScript | undefined;
      try {
        script = simScript(cp.spec.task);
      } catch {
        script = undefined;
      }
      const c: SimContainer = { startedAt: typeof startedAt === "number" ? startedAt : this.now(), script: script ?? { exitCode: 0 }, sandbox: cp.spec.sandbox, cpus: cp.spec.limits.cpus, memMb: cp.spec.limits.memMb };
      this.containers.set(cp.containerId, c);
      if (typeof startedAt !== "number" || !script) c.exit = LOST;
      else if (kills.has(cp.containerId)) c.exit = kills.get(cp.containerId);
      else this.schedule(c);
      if (!c.exit) running.push(cp.containerId);
    }
    this.compactKills(new Set(containers.map((c) => c.containerId)), kills);
    return Promise.resolve(running);
  }

  exec(containerId: string, command: CommandInfo, _timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    return Promise.resolve(simExec(command.value, this.healthy(containerId)));
  }

  /** The simulated outcome of a health check: true until CARAVEL_SIM_UNHEALTHY_AFTER_MS has passed. */
  healthy(containerId: string): boolean {
    const c = this.containers.get(containerId);
    if (!c || c.exit) return false;
    const after = c.script.unhealthyAfterMs;
    return after === undefined || this.now() - c.startedAt < after;
  }

  info(_containerId: string): ContainerInfoReport {
    return {};
  }

  usage(containerId: string): Promise<ResourceUsage | undefined> {
    const c = this.containers.get(containerId);
    if (!c) return Promise.resolve(undefined);
    const secs = (this.now() - c.startedAt) / 1000;
    return Promise.resolve({
      cpusUserTimeSecs: secs * 0.01,
      cpusSystemTimeSecs: secs * 0.001,
      memRssBytes: 1024 * 1024,
      memLimitBytes: c.memMb * 1024 * 1024,
      cpusLimit: c.cpus,
      timestamp: this.now() / 1000,
    });
  }

  destroy(containerId: string): Promise<void> {
    const c = this.containers.get(containerId);
    if (c) this.stopTimers(c);
    this.containers.delete(containerId);
    return Promise.resolve();
  }

  close(): Promise<void> {
    for (const c of this.containers.values()) this.stopTimers(c);
    return Promise.resolve();
  }

  /** Arms the scripted end: the rest of the run time, and the exit file (which may already exist). */
  private schedule(c: SimContainer): void {
    const { runMs, exitOnFile, exitCode } = c.script;
    if (exitOnFile) {
      const path = join(c.sandbox, exitOnFile);
      if (existsSync(path)) return this.end(c, { exitCode });
      c.poll = setInterval(() => {
        if (existsSync(path)) this.end(c, { exitCode });
      }, this.options.pollMs ?? 100);
    }
    if (runMs !== undefined) {
      const left = c.startedAt + runMs - this.now();
      if (left <= 0) return this.end(c, { exitCode });
      c.timer = setTimeout(() => this.end(c, { exitCode }), left);
    }
  }

  private killed(containerId: string, c: SimContainer, exit: ContainerExit): void {
    if (c.exit) return;
    if (this.options.stateDir) {
      mkdirSync(this.options.stateDir, { recursive: true });
      appendFileSync(join(this.options.stateDir, "exits"), JSON.stringify([containerId, exit]) + "\n");
    }
    this.end(c, exit);
  }

  private readKills(): Map<string, ContainerExit> {
    const out = new Map<string, ContainerExit>();
    if (!this.options.stateDir) return out;
    let text = "";
    try {
      text = readFileSync(join(this.options.stateDir, "exits"), "utf8");
    } catch {
      return out;
    }
    for (const line of text.split("\n")) {
      try {
        const [id, exit] = JSON.parse(line) as [string, ContainerExit];
        out.set(id, exit);
      } catch {
        // an empty or torn line
      }
    }
    return out;
  }

  /** Keeps only the kills of containers the agent still asks about, so the file does not grow forever. */
  private compactKills(keep: ReadonlySet<string>, kills: Map<string, ContainerExit>): void {
    if (!this.options.stateDir || kills.size === 0) return;
    const lines = [...kills].filter(([id]) => keep.has(id)).map((entry) => JSON.stringify(entry) + "\n");
    writeFileSync(join(this.options.stateDir, "exits"), lines.join(""));
  }

  private stopTimers(c: SimContainer): void {
    if (c.timer) clearTimeout(c.timer);
    if (c.poll) clearInterval(c.poll);
    if (c.killTimer) clearTimeout(c.killTimer);
    c.timer = undefined;
    c.poll = undefined;
    c.killTimer = undefined;
  }

  private end(c: SimContainer, exit: ContainerExit): void {
    if (c.exit) return;
    this.stopTimers(c);
    c.exit = exit;
    const waiters = c.waiters ?? [];
    c.waiters = undefined;
    for (const w of waiters) w(exit);
  }
}
