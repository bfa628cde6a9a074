/**
 * How a simulated task behaves, read from its labels or its command environment:
 * `CARAVEL_SIM_RUN_MS` (run, then exit), `CARAVEL_SIM_EXIT_CODE` (default 0),
 * `CARAVEL_SIM_FAIL_LAUNCH` (a message: the launch fails with it), `CARAVEL_SIM_UNHEALTHY_AFTER_MS`
 * (simulated health checks fail from then on). Labels win over the environment. Default: runs forever.
 */
import type { TaskInfo } from "@caravel/api";

export interface SimScript {
  runMs?: number;
  exitCode: number;
  failLaunch?: string;
  unhealthyAfterMs?: number;
}

const KEYS = ["CARAVEL_SIM_RUN_MS", "CARAVEL_SIM_EXIT_CODE", "CARAVEL_SIM_FAIL_LAUNCH", "CARAVEL_SIM_UNHEALTHY_AFTER_MS"] as const;

function number(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}="${raw}" is not a non-negative number`);
  return n;
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
  if (values["CARAVEL_SIM_FAIL_LAUNCH"]) script.failLaunch = values["CARAVEL_SIM_FAIL_LAUNCH"];
  return script;
}
