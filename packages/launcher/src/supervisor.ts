/**
 * Runs a planned cluster: starts each process once the ones it depends on are healthy, keeps
 * `launcher.json` current, and stops everything in reverse dependency order.
 */
import type { Logger } from "@caravel/runtime";
import { SupervisedProcess, type LivenessPolicy } from "./child.js";
import { levels, type Plan } from "./plan.js";
import { writeState, type LauncherState, type Phase } from "./state.js";

export interface SupervisorOptions {
  root: string;
  home: string;
  startTimeoutMs: number;
  stopTimeoutMs: number;
  liveness?: LivenessPolicy;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** One line per step, for people watching `up` (the JSON log has the details). */
  progress?(line: string): void;
}

export class Supervisor {
  readonly processes: SupervisedProcess[];
  private phase: Phase = "starting";
  private message: string | undefined;
  private printLines: string[] = [];
  private readonly startedAt = new Date().toISOString();
  private stopped: Promise<void> | undefined;

  constructor(
    readonly plan: Plan,
    private readonly options: SupervisorOptions,
  ) {
    const env = { ...(options.env ?? process.env), CARAVEL_HOME: options.home };
    this.processes = plan.instances.map(
      (instance) =>
        new SupervisedProcess(instance, {
          cwd: options.root,
          env,
          startTimeoutMs: options.startTimeoutMs,
          stopTimeoutMs: options.stopTimeoutMs,
          liveness: options.liveness,
          onChange: () => this.save(),
        }),
    );
    this.save();
  }

  /**
   * Starts every process in dependency order and resolves when all are healthy. Rejects when a
   * required process cannot get healthy; optional ones only log a warning and keep being retried.
   */
  async start(): Promise<void> {
    const byName = new Map(this.processes.map((p) => [p.instance.name, p]));
    const started = this.processes.map(async (p) => {
      await Promise.all(p.instance.after.map((dep) => byName.get(dep)?.ready));
      if (this.stopped) return;
      this.options.log.info({ component: p.instance.name, url: p.instance.url }, "starting");
      const t0 = Date.now();
      p.start();
      try {
        await p.ready;
        this.options.log.info({ component: p.instance.name, child_pid: p.state.pid, url: p.instance.url }, "healthy");
        this.options.progress?.(`  ${p.instance.name} is up at ${p.instance.url} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      } catch (error) {
        if (this.stopped) throw new Error("stopped while starting");
        if (!p.instance.spec.optional) throw error;
        this.options.progress?.(`  ${p.instance.name} is not healthy yet (optional; still retrying): see ${p.instance.logFile}`);
        this.options.log.warn({ component: p.instance.name, err: (error as Error).message }, "optional component is not healthy; still retrying");
      }
    });
    try {
      await Promise.all(started);
    } catch (error) {
      if (!this.stopped) this.setPhase("failed", (error as Error).message.split("\n")[0]);
      throw error;
    }
    const specs = new Set(this.plan.instances.map((i) => i.spec));
    this.printLines = [...specs].flatMap((spec) => safeLines(() => spec.printLines?.(this.plan.ctx) ?? []));
    this.setPhase("ready");
  }

  /** Stops every process, dependents first. Safe to call more than once. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      if (this.phase !== "failed") this.setPhase("stopping");
      for (const level of levels(this.plan.instances).reverse()) {
        const names = new Set(level.map((i) => i.name));
        await Promise.all(this.processes.filter((p) => names.has(p.instance.name)).map((p) => p.stop()));
      }
      if (this.phase !== "failed") this.setPhase("stopped");
    })();
    return this.stopped;
  }

  /** Synchronous last resort (supervisor exiting): SIGKILL every process group. */
  killAll(): void {
    for (const p of this.processes) p.killNow();
  }

  snapshot(): LauncherState {
    return {
      pid: process.pid,
      home: this.options.home,
      startedAt: this.startedAt,
      phase: this.phase,
      ...(this.message ? { message: this.message } : {}),
      components: this.processes.map((p) => ({ ...p.state })),
      skipped: this.plan.skipped,
      printLines: this.printLines,
    };
  }

  private setPhase(phase: Phase, message?: string): void {
    this.phase = phase;
    this.message = message;
    this.save();
  }

  private save(): void {
    // The constructor's field initialisers run before `processes` exists on the first call.
    if (!this.processes) return;
    try {
      writeState(this.snapshot());
    } catch (error) {
      this.options.log.warn({ err: (error as Error).message }, "cannot write launcher.json");
    }
  }
}

function safeLines(fn: () => string[]): string[] {
  try {
    return fn();
  } catch (error) {
    return [`(could not compute: ${(error as Error).message})`];
  }
}
