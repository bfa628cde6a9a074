/**
 * How a simulated task behaves, read from its labels or its command environment (labels win):
 * - `CARAVEL_SIM_RUN_MS`: run that long, then exit with `CARAVEL_SIM_EXIT_CODE` (default 0).
 * - `CARAVEL_SIM_EXIT_ON_FILE`: exit (with `CARAVEL_SIM_EXIT_CODE`) once this file exists; a path
 *   relative to the sandbox. Lets tests end a simulated task exactly when they want.
 * - `CARAVEL_SIM_FAIL_LAUNCH`: a message; the launch fails with it.
 * - `CARAVEL_SIM_UNHEALTHY_AFTER_MS`: simulated health checks fail from then on.
 * - `CARAVEL_SIM_TERM_EXIT_CODE`: on SIGTERM the task exits with this code, as a shell `trap` would
 *   (default: it dies of the signal).
 * - `CARAVEL_SIM_IGNORE_TERM=true`: SIGTERM is ignored; the task dies of SIGKILL after the grace period.
 * Default: runs forever.
 */
import type { TaskInfo } from "@caravel/api";

export interface SimScript {
  runMs?: number;
  exitCode: number;
  exitOnFile?: string;
  failLaunch?: string;
  unhealthyAfterMs?: number;
  termExitCode?: number;
  ignoreTerm?: boolean;
}

const KEYS = [
  "CARAVEL_SIM_RUN_MS",
  "CARAVEL_SIM_EXIT_CODE",
  "CARAVEL_SIM_EXIT_ON_FILE",
  "CARAVEL_SIM_FAIL_LAUNCH",
  "CARAVEL_SIM_UNHEALTHY_AFTER_MS",
  "CARAVEL_SIM_TERM_EXIT_CODE",
  "CARAVEL_SIM_IGNORE_TERM",
] as const;

function number(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}="${raw}" is not a non-negative number`);
  return n;
}

function bool(raw: string | undefined, name: string): boolean | undefined {
  if (raw === undefined || raw === "") return undefined;
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw new Error(`${name}="${raw}" is not true or false`);
}

/** Parses a task's script; throws an Error naming the bad setting. */
export function simScript(task: TaskInfo): SimScript {
  const values: Record<string, string> = {};
  for (const v of task.command?.environment?.variables ?? []) if (KEYS.includes(v.name as never) && v.value !== undefined) values[v.name] = v.value;
  for (const l of task.labels?.labels ?? []) if (KEYS.includes(l.key as never) && l.value !== undefined) values[l.key] = l.value;
  const script: SimScript = { exitCode: number(values["CARAVEL_SIM_EXIT_CODE"], "CARAVEL_SIM_EXIT_CODE") ?? 0 };
  const runMs = number(values["CARAVEL_SIM_RUN_MS"], "CARAVEL_SIM_RUN_MS");
  if (runMs !== undefined) script.runMs = runMs;
  const unhealthy = number(values["CARAVEL_SIM_UNHEALTHY_AFTER_MS"], "CARAVEL_SIM_UNHEALTHY_AFTER_MS");
  if (unhealthy !== undefined) script.unhealthyAfterMs = unhealthy;
  const termExit = number(values["CARAVEL_SIM_TERM_EXIT_CODE"], "CARAVEL_SIM_TERM_EXIT_CODE");
  if (termExit !== undefined) script.termExitCode = termExit;
  if (bool(values["CARAVEL_SIM_IGNORE_TERM"], "CARAVEL_SIM_IGNORE_TERM")) script.ignoreTerm = true;
  const file = values["CARAVEL_SIM_EXIT_ON_FILE"];
  if (file) {
    if (file.startsWith("/") || file.split("/").includes("..")) {
      throw new Error(`CARAVEL_SIM_EXIT_ON_FILE="${file}" must be a path inside the sandbox (relative, without "..")`);
    }
    script.exitOnFile = file;
  }
  if (values["CARAVEL_SIM_FAIL_LAUNCH"]) script.failLaunch = values["CARAVEL_SIM_FAIL_LAUNCH"];
  return script;
}

/**
 * The scripted exec of a simulated container: `exit N` (optionally after `echo text;`) answers N with
 * the echoed text; anything else answers as the simulated health does (0 while healthy, else 1).
 */
export function simExec(command: string | undefined, healthy: boolean): { exitCode: number; output: string } {
  const m = /^\s*(?:echo\s+([^;]*);\s*)?exit\s+(\d{1,3})\s*$/.exec(command ?? "");
  if (m) return { exitCode: Number(m[2]), output: m[1] !== undefined ? `${m[1].trim()}\n` : "" };
  return { exitCode: healthy ? 0 : 1, output: healthy ? "" : "simulated failure" };
}
