import { mkdtemp, stat } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyVolumeOperation, ensureVolumes } from "./volumes.js";
import { taskVolumes, volumeDir } from "./launch-spec.js";

const volume = (id: string, role = "web") => ({
  name: "disk",
  type: "SCALAR" as const,
  scalar: { value: 10 },
  role,
  reservations: [{ type: "DYNAMIC" as const, role }],
  disk: { persistence: { id }, volume: { container_path: "data", mode: "RW" as const } },
});

describe("persistent volumes", () => {
  it("CREATE makes a directory under work_dir/volumes, DESTROY removes it", async () => {
    const work = await mkdtemp(join(tmpdir(), "vol-"));
    await applyVolumeOperation(work, { type: "CREATE", create: { volumes: [volume("v1")] } });
    expect((await stat(volumeDir(work, "web", "v1"))).isDirectory()).toBe(true);
    await applyVolumeOperation(work, { type: "DESTROY", destroy: { volumes: [volume("v1")] } });
    expect(existsSync(volumeDir(work, "web", "v1"))).toBe(false);
  });

  it("refuses ids that could leave the volumes directory", async () => {
    const work = await mkdtemp(join(tmpdir(), "vol-"));
    await expect(ensureVolumes(work, [volume("../../etc")])).rejects.toThrow(/must use only/);
  });

  it("mounts a task's persistent volume at its container path", () => {
    const mounts = taskVolumes({ name: "t", task_id: { value: "t" }, agent_id: { value: "a" }, resources: [volume("v2")] } as never, "/w", "/w/sandbox");
    expect(mounts).toEqual([{ hostPath: "/w/volumes/roles/web/v2", containerPath: "data", readOnly: false }]);
  });
});
