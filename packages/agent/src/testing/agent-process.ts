/**
 * Starts caravel-agent as a real child process from its sources (tsx, `source` export condition),
 * for tests that kill -9 it and start it again.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");
const MAIN = join(REPO, "packages", "agent", "src", "main.ts");

export interface AgentProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<number | string | null>;
}

export function startAgentProcess(args: string[]): AgentProcess {
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", MAIN, ...args], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string | null>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal)));
  return { child, output: () => out, exited };
}
