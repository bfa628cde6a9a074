/**
 * Pure translation of a task's CommandInfo into what the supervisor execs, and of the agent's
 * environment into the task's. Mesos semantics (mesos-core.md §2): shell=true runs `/bin/sh -c value`
 * and ignores arguments; shell=false execs `value` with argv = arguments (arguments[0] is argv[0],
 * execlp-style), falling back to argv = [value] when no arguments are given.
 */
import type { CommandInfo } from "@caravel/api";
import { LaunchError } from "../types.js";

export interface ExecTarget {
  /** Program to exec (looked up on PATH when it has no slash). */
  file: string;
  argv: string[];
}

export function execTarget(command: CommandInfo | undefined): ExecTarget {
  const value = command?.value;
  if (value === undefined || value === "") {
    throw new LaunchError(
      "REASON_CONTAINER_LAUNCH_FAILED",
      "command.value is empty: the process containerizer needs a command to run (set command.value)",
    );
  }
  if (command?.shell !== false) return { file: "/bin/sh", argv: ["/bin/sh", "-c", value] };
  const args = command.arguments ?? [];
  return { file: value, argv: args.length > 0 ? args : [value] };
}

/**
 * Variables a task inherits from the agent's own environment. Mesos passes the whole agent
 * environment to executors; Caravel passes only these so that the agent's secrets and CARAVEL_*
 * configuration do not leak into tasks. The agent's LaunchSpec.env overrides them.
 */
export const INHERITED_ENV = ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER"] as const;
const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export function taskEnvironment(specEnv: Record<string, string>, hostEnv: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = { PATH: DEFAULT_PATH };
  for (const name of INHERITED_ENV) {
    const value = hostEnv[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...specEnv };
}

/** Decodes a raw wait(2) status as the supervisor records it. */
export function decodeWaitStatus(status: number): { exitCode: number | null; signal?: NodeJS.Signals } {
  const signo = status & 0x7f;
  if (signo === 0) return { exitCode: (status >> 8) & 0xff };
  return { exitCode: null, signal: signalName(signo) };
}

const SIGNALS: Record<number, NodeJS.Signals> = {
  1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL",
  10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM", 24: "SIGXCPU", 25: "SIGXFSZ",
};

export function signalName(signo: number): NodeJS.Signals {
  return SIGNALS[signo] ?? ("SIGSYS" as NodeJS.Signals);
}
