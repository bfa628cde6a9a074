/**
 * Starts real processes for integration tests, captures their output, waits until they are ready
 * (a health URL answering 200, or a line in their output), and makes sure none outlives the tests.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { delay } from "./wait.js";
import { isProcessAlive } from "@caravel/runtime";

export interface StartProcessOptions {
  /** A short name for messages, e.g. "master". */
  name: string;
  /** The executable, e.g. `process.execPath` to run a node script. */
  command: string;
  args?: readonly string[];
  /** Added to (not replacing) the test's environment; `undefined` removes a variable. */
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  /** Ready once a GET here answers 200 (polled every 50 ms). */
  healthUrl?: string;
  /** Ready once a line of stdout/stderr contains this string or matches this pattern. */
  readyLine?: string | RegExp;
  /** How long to wait for readiness (default 60 s: generous on a loaded machine). */
  startTimeoutMs?: number;
  /** Grace between SIGTERM and SIGKILL in `stop()` (default 5 s). */
  stopGraceMs?: number;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ProcessHandle {
  readonly name: string;
  readonly pid: number;
  /** Origin of the health URL (`http://127.0.0.1:5050`), or "" when none was given. */
  readonly url: string;
  /** Captured output lines (stdout and stderr interleaved as they arrived). */
  logs(): string[];
  /** Whether the process has exited. */
  readonly exited: boolean;
  /** Sends a signal to the process group (the process and whatever it started). */
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after the grace period; resolves once it has exited. */
  stop(graceMs?: number): Promise<ExitStatus>;
  /** Resolves when the process exits. */
  wait(): Promise<ExitStatus>;
}

const MAX_LINES = 5_000;
const live = new Set<ProcessHandle>();
let exitHookInstalled = false;

/** Kills every process started here that is still running: used on test-file end and process exit. */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop()));
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when the test runner exits without running afterAll hooks: nothing must leak.
  process.on("exit", () => {
    for (const p of live) p.kill("SIGKILL");
  });
}

/** Starts a process and resolves once it is ready; rejects with its last 50 log lines if it exits first. */
export async function startProcess(options: StartProcessOptions): Promise<ProcessHandle> {
  installExitHook();
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  // Own process group (detached), so that kill() and stop() reach the whole tree the process starts.
  const child = spawn(options.command, [...(options.args ?? [])], {
    cwd: options.cwd,
    env: env as NodeJS.ProcessEnv,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const handle = wrap(child, options);
  live.add(handle);
  void handle.wait().then(() => live.delete(handle));
  if (child.pid === undefined) {
    await handle.wait();
    throw new Error(`${options.name}: cannot start ${options.command}: ${handle.logs().join("\n")}`);
  }
  try {
    await waitReady(handle, options);
  } catch (error) {
    await handle.stop(1_000);
    throw error;
  }
  return handle;
}

function wrap(child: ChildProcess, options: StartProcessOptions): ProcessHandle {
  const lines: string[] = [];
  const push = (line: string) => {
    lines.push(line);
    if (lines.length > MAX_LINES) lines.splice(0, lines.length - MAX_LINES);
  };
  for (const stream of [child.stdout, child.stderr]) if (stream) createInterface({ input: stream }).on("line", push);
  let status: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once("error", (error) => {
      push(`[spawn error] ${error.message}`);
      status ??= { code: null, signal: null };
      resolve(status);
    });
    child.once("exit", (code, signal) => {
      status = { code, signal };
      resolve(status);
    });
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    if (status || child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    }
  };
  return {
    name: options.name,
    pid: child.pid ?? -1,
    url: options.healthUrl ? new URL(options.healthUrl).origin : "",
    logs: () => [...lines],
    get exited() {
      return status !== undefined;
    },
    kill: (signal = "SIGTERM") => signalGroup(signal),
    wait: () => exited,
    stop: async (graceMs = options.stopGraceMs ?? 5_000) => {
      if (status) return status;
      signalGroup("SIGTERM");
      const timer = setTimeout(() => signalGroup("SIGKILL"), graceMs);
      const result = await exited;
      clearTimeout(timer);
      // The leader is gone; anything left in its group (e.g. a grandchild) goes too.
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // group empty
        }
      }
      return result;
    },
  };
}

async function waitReady(handle: ProcessHandle, options: StartProcessOptions): Promise<void> {
  if (!options.healthUrl && !options.readyLine) return;
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let lastProblem = "no answer yet";
  const matches = (line: string) =>
    typeof options.readyLine === "string" ? line.includes(options.readyLine) : options.readyLine!.test(line);
  for (;;) {
    if (handle.exited) {
      const status = await handle.wait();
      throw new Error(
        `${options.name} exited (code ${status.code}, signal ${status.signal}) before it was ready; last log lines:\n${tail(handle)}`,
      );
    }
    if (options.readyLine && handle.logs().some(matches)) return;
    if (options.healthUrl) {
      try {
        const res = await fetch(options.healthUrl, { signal: AbortSignal.timeout(2_000) });
        await res.body?.cancel();
        if (res.status === 200) return;
        lastProblem = `HTTP ${res.status}`;
      } catch (error) {
        lastProblem = ((error as Error).cause as Error | undefined)?.message ?? (error as Error).message;
      }
    }
    if (Date.now() > deadline) {
      const what = options.healthUrl ? `${options.healthUrl} to answer 200 (last: ${lastProblem})` : `a line matching ${String(options.readyLine)}`;
      throw new Error(`${options.name} not ready after ${timeoutMs} ms waiting for ${what}; last log lines:\n${tail(handle)}`);
    }
    await delay(50);
  }
}

const tail = (handle: ProcessHandle, n = 50): string => handle.logs().slice(-n).join("\n") || "(no output)";

/** Whether a process with this pid exists (for "nothing is left running" assertions). */
export const isRunning = isProcessAlive;
