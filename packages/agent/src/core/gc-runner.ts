/**
 * Periodic sandbox collection: measures ended tasks' sandboxes, asks `selectForCollection` which to
 * remove, removes them, and tells the agent to forget them.
 */
import { lstat, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "@caravel/runtime";
import { selectForCollection, type GcPolicy } from "../files/gc.js";
import type { Agent } from "./agent.js";

/** Bytes under a directory (files only, symlinks not followed); 0 when it is gone. */
export async function diskUsage(path: string): Promise<number> {
  let total = 0;
  let s;
  try {
    s = await lstat(path);
  } catch {
    return 0;
  }
  if (!s.isDirectory()) return s.size;
  for (const name of await readdir(path).catch(() => [] as string[])) total += await diskUsage(join(path, name));
  return total;
}

export async function collectGarbage(agent: Agent, policy: GcPolicy, log: Logger, now = Date.now()): Promise<string[]> {
  const measured = await Promise.all(agent.ended.map(async (e) => ({ ...e, sizeBytes: await diskUsage(e.path) })));
  const chosen = selectForCollection(measured, policy, now);
  for (const c of chosen) {
    await rm(c.path, { recursive: true, force: true }).catch((error: unknown) => log.warn({ err: error, path: c.path }, "cannot remove sandbox"));
  }
  if (chosen.length) {
    agent.forgetEnded(new Set(chosen.map((c) => c.key)));
    log.info({ removed: chosen.length }, "collected old sandboxes");
  }
  return chosen.map((c) => c.path);
}

export function startGc(agent: Agent, policy: GcPolicy, intervalMs: number, log: Logger): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void collectGarbage(agent, policy, log).finally(() => (running = false));
  }, intervalMs);
  timer.unref?.();
  return () => clearInterval(timer);
}
