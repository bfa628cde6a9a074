/**
 * The agent's counters under Mesos' `slave/*` names. Plain fields (no registry per agent) so that
 * ten thousand simulated agents cost nothing; `register` exposes one agent's (or a sum's) values.
 */
import type { TaskState } from "@caravel/api";
import type { MetricsRegistry } from "@caravel/runtime";

const COUNTED: Partial<Record<TaskState, string>> = {
  TASK_STAGING: "staging",
  TASK_STARTING: "starting",
  TASK_RUNNING: "running",
  TASK_KILLING: "killing",
};
const ENDED: Partial<Record<TaskState, string>> = {
  TASK_FINISHED: "finished",
  TASK_FAILED: "failed",
  TASK_KILLED: "killed",
  TASK_LOST: "lost",
  TASK_GONE: "gone",
  TASK_ERROR: "error",
  TASK_DROPPED: "dropped",
};

export class AgentMetrics {
  registered = 0;
  validUpdates = 0;
  invalidAcks = 0;
  readonly active: Record<string, number> = { staging: 0, starting: 0, running: 0, killing: 0 };
  readonly ended: Record<string, number> = { finished: 0, failed: 0, killed: 0, lost: 0, gone: 0, error: 0, dropped: 0 };
  /** Agent-side overhead (ms): RUN_TASK received → container started, and container exit → terminal update sent. */
  readonly launchMs: number[] = [];
  readonly exitMs: number[] = [];
  /** The part of launchMs spent inside containerizer.launch (spawning the process, pulling images …). */
  readonly launchContainerizerMs: number[] = [];
  private readonly record: boolean;

  constructor(options: { recordTimings?: boolean } = {}) {
    this.record = options.recordTimings ?? true;
  }

  transition(from: TaskState, to: TaskState): void {
    const f = COUNTED[from];
    if (f && from !== to) this.active[f] = Math.max(0, (this.active[f] ?? 0) - 1);
    const t = COUNTED[to];
    if (t && from !== to) this.active[t] = (this.active[t] ?? 0) + 1;
    const e = ENDED[to];
    if (e) this.ended[e] = (this.ended[e] ?? 0) + 1;
  }

  observeLaunch(ms: number, inContainerizerMs = 0): void {
    if (!this.record) return;
    this.launchMs.push(ms);
    this.launchContainerizerMs.push(inContainerizerMs);
    if (this.launchMs.length > 1000) this.launchMs.shift();
    if (this.launchContainerizerMs.length > 1000) this.launchContainerizerMs.shift();
  }

  observeExit(ms: number): void {
    if (!this.record) return;
    this.exitMs.push(ms);
    if (this.exitMs.length > 1000) this.exitMs.shift();
  }
}

/** Registers gauges that sum over `agents()` (one agent, or every simulated agent of a process). */
export function registerAgentMetrics(registry: MetricsRegistry, agents: () => Iterable<AgentMetrics>, startTime: number): void {
  const sum = (pick: (m: AgentMetrics) => number) => () => {
    let n = 0;
    for (const m of agents()) n += pick(m);
    return n;
  };
  registry.gauge("slave/registered", sum((m) => m.registered), "1 when registered with a master");
  registry.gauge("slave/uptime_secs", () => Date.now() / 1000 - startTime);
  for (const name of ["staging", "starting", "running", "killing"]) registry.gauge(`slave/tasks_${name}`, sum((m) => m.active[name] ?? 0));
  for (const name of ["finished", "failed", "killed", "lost", "gone", "error", "dropped"]) registry.gauge(`slave/tasks_${name}`, sum((m) => m.ended[name] ?? 0));
  registry.gauge("slave/valid_status_updates", sum((m) => m.validUpdates));
  registry.gauge("slave/invalid_status_updates", sum((m) => m.invalidAcks));
}
