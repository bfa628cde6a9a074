/** Sandbox layout as Mesos lays it out (mesos-core.md §5.4), and its creation with the `latest` links. */
import { mkdirSync } from "node:fs";
import { mkdir, rename, symlink } from "node:fs/promises";
import { join } from "node:path";

export const slavesRoot = (workDir: string): string => join(workDir, "slaves");

export function executorDir(workDir: string, agentId: string, frameworkId: string, executorId: string): string {
  return join(slavesRoot(workDir), agentId, "frameworks", frameworkId, "executors", executorId);
}

export function runDir(workDir: string, agentId: string, frameworkId: string, executorId: string, containerId: string): string {
  return join(executorDir(workDir, agentId, frameworkId, executorId), "runs", containerId);
}

/** Points `link` at `target` atomically (a temp link renamed over the old one). */
async function relink(target: string, link: string): Promise<void> {
  try {
    // The common case (a new executor): nothing to replace, one syscall.
    await symlink(target, link);
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const tmp = `${link}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await symlink(target, tmp);
  await rename(tmp, link);
}

/**
 * Creates a run directory and points its `runs/latest` at it. The link is for people browsing the
 * sandbox, not for the task: it is made without holding up the launch (a failure is only logged by
 * `onLinkError`).
 */
export async function createRunDir(
  workDir: string,
  agentId: string,
  frameworkId: string,
  executorId: string,
  containerId: string,
  onLinkError: (error: unknown) => void = () => undefined,
): Promise<string> {
  const dir = runDir(workDir, agentId, frameworkId, executorId, containerId);
  await mkdir(dir, { recursive: true });
  relink(containerId, join(dir, "..", "latest")).catch(onLinkError);
  return dir;
}

/**
 * The same, with the directory made synchronously: for a launch on its own, a few hundred
 * microseconds on the event loop cost less than a hop through the thread pool, which on a loaded
 * machine waits behind other work for milliseconds. Bursts use the async one (the pool's parallelism).
 */
export function createRunDirSync(
  workDir: string,
  agentId: string,
  frameworkId: string,
  executorId: string,
  containerId: string,
  onLinkError: (error: unknown) => void = () => undefined,
): string {
  const dir = runDir(workDir, agentId, frameworkId, executorId, containerId);
  mkdirSync(dir, { recursive: true });
  relink(containerId, join(dir, "..", "latest")).catch(onLinkError);
  return dir;
}

/** Points `slaves/latest` at this agent's directory (once per registration). */
export async function linkLatestAgent(workDir: string, agentId: string): Promise<void> {
  await mkdir(join(slavesRoot(workDir), agentId), { recursive: true });
  await relink(agentId, join(slavesRoot(workDir), "latest"));
}
