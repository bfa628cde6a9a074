/**
 * What a process task's sandbox gets before launch: its stdout/stderr files (present from launch on,
 * for the files API and the task itself) and its volumes. Without a mount namespace a task cannot see
 * a path outside its sandbox at an absolute container path, so each volume becomes a symlink at
 * `<sandbox>/<container_path>` (leading `/` dropped) to the host path; read-only is not enforced.
 */
import { closeSync, lstatSync, mkdirSync, openSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import type { LaunchSpec } from "../types.js";
import { LaunchError } from "../types.js";

export function touchLogs(sandbox: string): void {
  for (const name of ["stdout", "stderr"]) closeSync(openSync(join(sandbox, name), "a"));
}

export function pick(env: Record<string, string>, names: string[]): Record<string, string> {
  return Object.fromEntries(names.filter((n) => env[n] !== undefined).map((n) => [n, env[n]!]));
}

/** Symlinks each volume into the sandbox (see the module comment for why not a bind mount). */
export function linkVolumes(spec: LaunchSpec): void {
  for (const volume of spec.volumes) {
    const relative = volume.containerPath.replace(/^\/+/, "");
    if (relative === "" || relative.split("/").includes("..")) {
      throw new LaunchError("REASON_CONTAINER_LAUNCH_FAILED", `volume container_path '${volume.containerPath}' must name a path inside the sandbox`);
    }
    const link = join(spec.sandbox, relative);
    mkdirSync(dirname(link), { recursive: true });
    if (!lstatSync(link, { throwIfNoEntry: false })) symlinkSync(volume.hostPath, link);
  }
}
