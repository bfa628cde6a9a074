/**
 * Persistent volumes on disk: CREATE makes `<work_dir>/volumes/roles/<role>/<id>`, DESTROY removes it.
 * Directories outlive the tasks that use them; containerizers mount them (LaunchSpec.volumes).
 */
import { mkdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { volumeDir } from "./launch-spec.js";

/** The parts of a Resource this module reads (structural, so that every Resource-like value fits). */
interface VolumeResource {
  role?: string | undefined;
  reservations: ReadonlyArray<{ role?: string | undefined }>;
  disk?: { persistence?: { id: string } | undefined } | undefined;
}

interface VolumeOperation {
  type: string;
  create?: { volumes: readonly VolumeResource[] } | undefined;
  destroy?: { volumes: readonly VolumeResource[] } | undefined;
}

function roleOf(r: VolumeResource): string {
  return r.reservations.at(-1)?.role ?? r.role ?? "*";
}

function checkedId(id: string): string {
  // The id becomes a directory name: refuse anything that could walk out of the volumes root.
  if (!/^[A-Za-z0-9_.-]+$/.test(id) || id === "." || id === "..") throw new Error(`persistent volume id "${id}" must use only letters, digits, '_', '.' and '-'`);
  return id;
}

/** Creates the directories of every persistent volume in `resources`. */
export async function ensureVolumes(workDir: string, resources: readonly VolumeResource[]): Promise<void> {
  for (const r of resources) {
    const id = r.disk?.persistence?.id;
    // Synchronously: a CREATE is followed at once by the RUN_TASK that uses the volume (same
    // ACCEPT), and a launch no longer waits a loop turn before linking it into the sandbox.
    if (id) mkdirSync(volumeDir(workDir, roleOf(r), checkedId(id)), { recursive: true });
  }
}

export async function applyVolumeOperation(workDir: string, op: VolumeOperation): Promise<void> {
  if (op.type === "CREATE") await ensureVolumes(workDir, op.create?.volumes ?? []);
  if (op.type === "DESTROY") {
    for (const r of op.destroy?.volumes ?? []) {
      const id = r.disk?.persistence?.id;
      if (id) await rm(volumeDir(workDir, roleOf(r), checkedId(id)), { recursive: true, force: true });
    }
  }
}
