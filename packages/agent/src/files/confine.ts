/**
 * Maps a `/files` path to a real file, confined to the agent's sandboxes (DESIGN.md §7): no `..`
 * segment, no absolute path outside `<work_dir>/slaves`, no symlink that leads out of it. Virtual
 * paths as Mesos attaches them: `/frameworks/<fid>/executors/<eid>/runs/latest/...` (this agent's
 * sandboxes) and `/slave/log` (the agent's own log).
 */
import { realpath } from "node:fs/promises";
import { isAbsolute, join, normalize, relative, sep } from "node:path";
import { CaravelError } from "@caravel/api";

export interface FileRoots {
  /** `<work_dir>/slaves` */
  slavesRoot: string;
  agentId?: string;
  /** The agent's log file, served as /slave/log. */
  logFile?: string;
}

export const SLAVE_LOG = "/slave/log";

const inside = (root: string, path: string): boolean => {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel) && rel.split(sep)[0] !== "..");
};

/** The candidate path before symlinks are resolved; throws a 4xx CaravelError for a bad path. */
export function lexicalPath(path: string | null | undefined, roots: FileRoots): string {
  if (path === null || path === undefined || path === "") {
    throw new CaravelError("MISSING_FIELD", "query parameter 'path' is required, e.g. ?path=/frameworks/<id>/executors/<id>/runs/latest", { path: "path" });
  }
  if (path.includes("\0")) throw new CaravelError("INVALID_REQUEST", "'path' must not contain NUL bytes", { path: "path" });
  if (path.split(/[\\/]/).includes("..")) {
    throw new CaravelError("INVALID_REQUEST", `'path' must not contain '..' segments (got ${JSON.stringify(path)}); name a file inside a sandbox`, { path: "path" });
  }
  if (path === SLAVE_LOG) {
    if (!roots.logFile) throw new CaravelError("NOT_FOUND", "the agent log is not attached; start caravel-agent with --log_dir", { path: "path" });
    return roots.logFile;
  }
  if (path.startsWith("/frameworks/") || path === "/frameworks") {
    if (!roots.agentId) throw new CaravelError("NOT_FOUND", "this agent has no sandboxes yet (not registered)", { path: "path" });
    return normalize(join(roots.slavesRoot, roots.agentId, path));
  }
  if (!isAbsolute(path)) {
    throw new CaravelError("INVALID_REQUEST", `'path' must be absolute (a sandbox directory or /frameworks/...); got ${JSON.stringify(path)}`, { path: "path" });
  }
  const candidate = normalize(path);
  if (!inside(roots.slavesRoot, candidate)) {
    throw new CaravelError("FORBIDDEN", `'path' ${JSON.stringify(path)} is outside the agent's sandboxes`, { path: "path" });
  }
  return candidate;
}

/** Resolves symlinks and checks that the target is still inside the sandboxes (or is the log). */
export async function confinedPath(path: string | null | undefined, roots: FileRoots): Promise<string> {
  const candidate = lexicalPath(path, roots);
  if (roots.logFile && candidate === roots.logFile) return candidate;
  let real: string;
  let realRoot: string;
  try {
    real = await realpath(candidate);
    realRoot = await realpath(roots.slavesRoot);
  } catch {
    throw new CaravelError("NOT_FOUND", `no such file or directory: ${path}`, { path: "path" });
  }
  if (!inside(realRoot, real)) {
    throw new CaravelError("FORBIDDEN", `'path' ${JSON.stringify(path)} leads outside the agent's sandboxes through a symlink`, { path: "path" });
  }
  return real;
}
