/**
 * The sim containerizer: no process at all, a timer per scripted task, so that one machine can run
 * thousands of simulated agents. A container is a few fields and at most one timer. Sim containers
 * do not survive an agent restart: `recover` reports none running, and `wait` for a recovered id
 * resolves with REASON_AGENT_RESTARTED, which the agent reports as TASK_LOST (TASK_GONE for
 * partition-aware frameworks).
 */
import type { CommandInfo, ContainerInfo } from "@caravel/api";
import type {
  CheckpointedContainer,
  ContainerExit,
  Containerizer,
  ContainerInfoReport,
  LaunchSpec,
  ResourceUsage,
} from "../types.js";
import { LaunchError } from "../types.js";
import { simScript, type SimScript } from "./script.js";

interface SimContainer {
  startedAt: number;
  script: SimScript;
  cpus: number;
  memMb: number;
  exit?: ContainerExit;
  timer?: ReturnType<typeof setTimeout>;
  waiters?: Array<(exit: ContainerExit) => void>;
}

export class SimContainerizer implements Containerizer {
  readonly name = "sim" as const;
  private readonly containers = new Map<string, SimContainer>();

  constructor(private readonly now: () => number = Date.now) {}

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
    const c: SimContainer = { startedAt: this.now(), script, cpus: spec.limits.cpus, memMb: spec.limits.memMb };
    this.containers.set(spec.containerId, c);
    if (script.runMs !== undefined) {
      c.timer = setTimeout(() => this.end(c, { exitCode: script.exitCode }), script.runMs);
    }
    return Promise.resolve({ containerId: spec.containerId, containerizer: "sim", handle: { startedAt: c.startedAt }, spec });
  }

  wait(containerId: string): Promise<ContainerExit> {
    const c = this.containers.get(containerId);
    if (!c) return Promise.resolve({ exitCode: null, message: `unknown sim container ${containerId}` });
    if (c.exit) return Promise.resolve(c.exit);
    return new Promise((resolve) => (c.waiters ??= []).push(resolve));
  }

  kill(containerId: string, _gracePeriodMs: number): Promise<void> {
    const c = this.containers.get(containerId);
    if (c && !c.exit) this.end(c, { exitCode: null, signal: "SIGTERM" });
    return Promise.resolve();
  }

  recover(containers: CheckpointedContainer[]): Promise<string[]> {
    for (const cp of containers) {
      if (this.containers.has(cp.containerId)) continue;
      const c: SimContainer = { startedAt: this.now(), script: { exitCode: 0 }, cpus: 0, memMb: 0 };
      c.exit = { exitCode: null, reason: "REASON_AGENT_RESTARTED", message: "sim containers do not survive an agent restart" };
      this.containers.set(cp.containerId, c);
    }
    return Promise.resolve([]);
  }

  exec(containerId: string, _command: CommandInfo, _timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    const healthy = this.healthy(containerId);
    return Promise.resolve({ exitCode: healthy ? 0 : 1, output: healthy ? "" : "simulated failure" });
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
    if (c?.timer) clearTimeout(c.timer);
    this.containers.delete(containerId);
    return Promise.resolve();
  }

  close(): Promise<void> {
    for (const c of this.containers.values()) if (c.timer) clearTimeout(c.timer);
    return Promise.resolve();
  }

  private end(c: SimContainer, exit: ContainerExit): void {
    if (c.exit) return;
    if (c.timer) clearTimeout(c.timer);
    c.timer = undefined;
    c.exit = exit;
    const waiters = c.waiters ?? [];
    c.waiters = undefined;
    for (const w of waiters) w(exit);
  }
}
