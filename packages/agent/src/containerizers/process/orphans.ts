/**
 * Orphans: run directories that no checkpoint names (a task launched just before an agent crash that
 * lost its checkpoint). Their tasks are killed (if the pid still names the same process) and their
 * cgroups and run directories removed, as Mesos destroys unknown containers on recovery.
 */
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Cgroup, type CgroupSettings } from "./cgroups.js";
import { isSameProcessAlive } from "./proc.js";

export async function removeOrphanRuns(runDir: string, known: ReadonlySet<string>, settings: CgroupSettings): Promise<string[]> {
  const orphans = readdirSync(runDir).filter((id) => !known.has(id));
  for (const id of orphans) {
    const dir = join(runDir, id);
    const [pid, startTime] = readPidFile(join(dir, "pid"));
    if (pid && startTime !== undefined && isSameProcessAlive(pid, startTime)) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, "SIGKILL");
        } catch {
          // Gone meanwhile.
        }
      }
    }
    const cgroup = new Cgroup(id, settings);
    if (cgroup.exists()) await cgroup.remove();
    rmSync(dir, { recursive: true, force: true });
  }
  return orphans;
}

function readPidFile(path: string): Array<number | undefined> {
  try {
    return readFileSync(path, "utf8").trim().split(" ").map(Number);
  } catch {
    return [];
  }
}
