/**
 * The supervisor's files under `<home>/local/`: `launcher.pid` (one supervisor at a time) and
 * `launcher.json` (what runs where, read by `status`, `down` and a waiting `up --detach`).
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { isProcessAlive } from "@caravel/runtime";

export type Phase = "starting" | "ready" | "stopping" | "stopped" | "failed";
export type ProcessStatus = "pending" | "starting" | "healthy" | "unhealthy" | "restarting" | "failed" | "stopped";

export interface ComponentState {
  name: string;
  /** The script it runs (to recognise its pid later, against pid reuse). */
  bin: string;
  pid?: number;
  port: number;
  url: string;
  healthUrl: string;
  status: ProcessStatus;
  restarts: number;
  optional: boolean;
  log: string;
  /** Last problem seen (exit code, health failure), for people. */
  message?: string;
}

export interface LauncherState {
  pid: number;
  home: string;
  startedAt: string;
  phase: Phase;
  message?: string;
  components: ComponentState[];
  skipped: { name: string; reason: string }[];
  /** Lines contributed by components (console URL, first credentials …). */
  printLines: string[];
}

export const pidFile = (home: string): string => join(home, "local", "launcher.pid");
export const stateFile = (home: string): string => join(home, "local", "launcher.json");
export const launcherLog = (home: string): string => join(home, "local", "logs", "launcher.log");

/** Whether a process with this pid exists. */
export const isAlive = isProcessAlive;

/** The pid of the running supervisor, or undefined (a stale pid file counts as none). */
export function runningSupervisor(home: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile(home), "utf8").trim());
    return isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the pid file for this process. Returns the pid of another live supervisor instead when
 * one holds it. Exclusive creation makes two concurrent `up`s agree on one winner.
 */
export function acquirePidFile(home: string): { ok: true } | { ok: false; pid: number } {
  mkdirSync(join(home, "local", "logs"), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(pidFile(home), "wx");
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return { ok: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const other = runningSupervisor(home);
      if (other !== undefined && other !== process.pid) return { ok: false, pid: other };
      rmSync(pidFile(home), { force: true }); // stale: its supervisor is gone
    }
  }
  throw new Error(`cannot take ${pidFile(home)}; remove it if no caravel-launch runs`);
}

export function releasePidFile(home: string): void {
  try {
    if (Number(readFileSync(pidFile(home), "utf8").trim()) === process.pid) rmSync(pidFile(home), { force: true });
  } catch {
    // already gone
  }
}

/** Writes the state atomically (temp file + rename), so readers never see half a file. */
export function writeState(state: LauncherState): void {
  const path = stateFile(state.home);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, path);
}

export function readState(home: string): LauncherState | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(home), "utf8")) as LauncherState;
  } catch {
    return undefined;
  }
}
