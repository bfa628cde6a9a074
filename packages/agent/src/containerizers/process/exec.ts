/**
 * Runs a short command beside a process task (COMMAND health checks): same sandbox as cwd, same
 * environment, its own process group so a timeout kills all of it. A timeout answers exit code 124
 * (as coreutils' `timeout` does) with what was printed so far.
 */
import { spawn } from "node:child_process";
import type { ExecTarget } from "./command.js";

const MAX_OUTPUT = 64 * 1024;

export function runExec(
  target: ExecTarget,
  options: { cwd: string; env: Record<string, string>; timeoutMs: number },
): Promise<{ exitCode: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(target.file, target.argv.slice(1), {
      argv0: target.argv[0],
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let timedOut = false;
    const append = (chunk: Buffer): void => {
      if (output.length < MAX_OUTPUT) output += chunk.toString("utf8").slice(0, MAX_OUTPUT - output.length);
    };
    child.stdout.on("data", append);
    child.stderr.on("data", append);
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // Already gone.
      }
    }, options.timeoutMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      resolve({ exitCode: 127, output: `Failed to execute '${target.file}': ${err.message}` });
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) resolve({ exitCode: 124, output: `${output}\ncommand timed out after ${options.timeoutMs} ms` });
      else resolve({ exitCode: code ?? 128 + (signal === "SIGKILL" ? 9 : 15), output });
    });
  });
}
