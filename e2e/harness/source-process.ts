/**
 * Processes started from their TypeScript sources (no build needed), with their output kept for the
 * failure message, and a polling wait that names what it waited for and shows that output.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

const REPO = join(import.meta.dirname, "..", "..");

export interface SourceProcess {
  child: ChildProcess;
  /** The last 20,000 characters the process printed, headed by its command line. */
  out(): string;
}

/** Starts `packages/<pkg>/src/main.ts` with `args`; the caller kills it (keep it in `children`). */
export function startFromSource(pkg: string, args: string[], children: ChildProcess[]): SourceProcess {
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", join(REPO, "packages", pkg, "src", "main.ts"), ...args], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const keep = (d: Buffer) => void (out = (out + d.toString()).slice(-20_000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  children.push(child);
  return { child, out: () => `--- ${pkg} ${args.join(" ")}\n${out}` };
}

/** Polls `check` every 200 ms until it returns a value (errors count as "not yet"). */
export async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs: number, context: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${context()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
