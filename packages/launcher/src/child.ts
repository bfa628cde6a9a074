/**
 * One supervised process: started with node, its output appended to its log file, watched until
 * healthy, restarted with backoff when it dies, and stopped with SIGTERM then SIGKILL.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { DEFAULT_BACKOFF, nextRestart, type BackoffPolicy } from "./backoff.js";
import { probe } from "./health.js";
import type { Instance } from "./plan.js";
import type { ComponentState } from "./state.js";

export interface ChildOptions {
  /** Working directory of the process (the repository root). */
  cwd: string;
  env: NodeJS.ProcessEnv;
  startTimeoutMs: number;
  stopTimeoutMs: number;
  backoff?: BackoffPolicy;
  /** Crashes before the first healthy answer after which startup is declared failed. */
  maxStartCrashes?: number;
  liveness?: LivenessPolicy;
  /** Called on every change of `state`. */
  onChange(): void;
}

const HEALTH_POLL_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** After the first 200: probe every `intervalMs`; kill after `maxFailures` failures in a row. */
export interface LivenessPolicy {
  intervalMs: number;
  timeoutMs: number;
  maxFailures: number;
}

/** A minute of silence (12 × 5 s) before a hung process is killed: generous for a loaded machine. */
export const DEFAULT_LIVENESS: LivenessPolicy = { intervalMs: 5_000, timeoutMs: 5_000, maxFailures: 12 };

export class SupervisedProcess {
  readonly state: ComponentState;
  /** Settles once: healthy for the first time, or failed to get there. */
  readonly ready: Promise<void>;
  private child: ChildProcess | undefined;
  private stopping = false;
  private failures = 0;
  private healthySince: number | undefined;
  private everHealthy = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private startTimer: NodeJS.Timeout | undefined;
  private settle!: { resolve(): void; reject(error: Error): void; done: boolean };
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly instance: Instance,
    private readonly options: ChildOptions,
  ) {
    this.state = {
      name: instance.name,
      bin: instance.bin,
      port: instance.port,
      url: instance.url,
      healthUrl: instance.healthUrl,
      status: "pending",
      restarts: 0,
      optional: instance.spec.optional,
      log: instance.logFile,
    };
    this.ready = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject, done: false }));
    this.ready.catch(() => undefined); // observed by the supervisor; never an unhandled rejection
  }

  /** Starts the process and the startup deadline. */
  start(): void {
    mkdirSync(this.instance.workDir, { recursive: true });
    mkdirSync(dirname(this.instance.logFile), { recursive: true });
    this.startTimer = setTimeout(() => {
      this.fail(`did not answer 200 on ${this.instance.healthUrl} within ${this.options.startTimeoutMs / 1000} s`);
    }, this.options.startTimeoutMs);
    this.spawnOnce();
  }

  /** The last lines of this process's log file. */
  logTail(lines = 20): string {
    try {
      return readFileSync(this.instance.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log yet)";
    }
  }

  /** SIGTERM to the process group, SIGKILL after the grace; no restart afterwards. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    clearTimeout(this.startTimer);
    this.fail("stopped before it was ready");
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      signalGroup(child, "SIGTERM");
      const kill = setTimeout(() => signalGroup(child, "SIGKILL"), this.options.stopTimeoutMs);
      await this.exited;
      clearTimeout(kill);
    }
    // Whatever the process left in its group (helpers it started) goes with it.
    if (child) signalGroup(child, "SIGKILL");
    this.update({ status: "stopped", pid: undefined });
  }

  /** Last-resort cleanup on supervisor exit: synchronous, no waiting. */
  killNow(): void {
    if (this.child) signalGroup(this.child, "SIGKILL");
  }

  private spawnOnce(): void {
    const { bin, args, logFile, name, spec } = this.instance;
    rotateIfLarge(logFile);
    // Config files are rewritten on every start, so that a restart picks up the same layout.
    for (const [file, text] of Object.entries(this.instance.files)) {
      const path = join(this.instance.workDir, file);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    }
    const program = spec.exec ?? process.execPath;
    const argv = spec.exec ? args : [...(spec.nodeFlags ?? []), bin, ...args];
    appendFileSync(logFile, `--- caravel-launch ${new Date().toISOString()}: starting ${name}: ${spec.exec ?? "node"} ${argv.join(" ")}\n`);
    const fd = openSync(logFile, "a");
    // Own process group: Ctrl-C reaches only the supervisor, which then stops children in order;
    // the log fd goes straight to the child, so output survives a supervisor crash.
    const child = spawn(program, argv, { cwd: this.options.cwd, env: this.options.env, detached: true, stdio: ["ignore", fd, fd] });
    closeSync(fd);
    this.child = child;
    this.healthySince = undefined;
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    child.once("error", (error) => appendFileSync(logFile, `--- caravel-launch: cannot start: ${error.message}\n`));
    child.once("exit", (code, signal) => this.onExit(code, signal));
    this.update({ status: this.everHealthy ? "restarting" : "starting", pid: child.pid });
    void this.watchHealth(child);
  }

  private async watchHealth(child: ChildProcess): Promise<void> {
    const running = () => this.child === child && child.exitCode === null && child.signalCode === null && !this.stopping;
    // Until the first 200: poll fast, so that `up` returns as soon as possible.
    while (running()) {
      const result = await probe(this.instance.healthUrl, 1_000);
      if (!running()) return;
      if (result.healthy) {
        this.healthySince = Date.now();
        this.everHealthy = true;
        clearTimeout(this.startTimer);
        this.update({ status: "healthy", message: undefined });
        if (!this.settle.done) {
          this.settle.done = true;
          this.settle.resolve();
        }
        break;
      }
      await sleep(HEALTH_POLL_MS);
    }
    // Then a slow liveness check: a process that stops answering for a long time is hung, and
    // killing it lets the ordinary restart (with backoff) take over.
    const liveness = this.options.liveness ?? DEFAULT_LIVENESS;
    let failures = 0;
    while (running()) {
      await sleep(liveness.intervalMs);
      if (!running()) return;
      const result = await probe(this.instance.healthUrl, liveness.timeoutMs);
      if (!running()) return;
      if (result.healthy) {
        failures = 0;
        if (this.state.status !== "healthy") this.update({ status: "healthy", message: undefined });
        continue;
      }
      failures++;
      this.update({ status: "unhealthy", message: `health check failed ${failures} times: ${result.detail}` });
      if (failures >= liveness.maxFailures) {
        appendFileSync(this.instance.logFile, `--- caravel-launch: ${this.instance.name} failed ${failures} health checks in a row; killing it\n`);
        signalGroup(child, "SIGKILL");
        return;
      }
    }
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping) return;
    const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
    const upFor = this.healthySince !== undefined ? Date.now() - this.healthySince : 0;
    const decision = nextRestart(this.failures, upFor, this.options.backoff ?? DEFAULT_BACKOFF);
    this.failures = decision.failures;
    appendFileSync(this.instance.logFile, `--- caravel-launch: ${this.instance.name} ${how}; restarting in ${decision.delayMs} ms\n`);
    this.update({ status: "restarting", pid: undefined, restarts: this.state.restarts + 1, message: how });
    if (!this.everHealthy && this.failures >= (this.options.maxStartCrashes ?? 3)) {
      this.fail(`${how} ${this.failures} times before it answered its health check`);
    }
    this.restartTimer = setTimeout(() => this.spawnOnce(), decision.delayMs);
  }

  private fail(reason: string): void {
    if (this.settle.done) return;
    this.settle.done = true;
    if (!this.stopping) this.update({ status: "failed", message: reason });
    this.settle.reject(new Error(`${this.instance.name} ${reason}; log ${this.instance.logFile}:\n${this.logTail()}`));
  }

  private update(patch: Partial<ComponentState>): void {
    Object.assign(this.state, patch);
    for (const key of Object.keys(patch) as (keyof ComponentState)[]) if (patch[key] === undefined) delete this.state[key];
    this.options.onChange();
  }
}

/** Logs are rotated when a process (re)starts: past 64 MiB the file becomes `<name>.log.1`. */
const MAX_LOG_BYTES = 64 * 1024 * 1024;

function rotateIfLarge(path: string): void {
  try {
    if (statSync(path).size > MAX_LOG_BYTES) renameSync(path, `${path}.1`);
  } catch {
    // no log yet
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}
