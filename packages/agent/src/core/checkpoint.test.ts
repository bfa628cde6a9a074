import { appendFile, mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileCheckpointer } from "./checkpoint.js";

describe("FileCheckpointer", () => {
  it("persists puts and deletes, group-committing bursts into few writes", async () => {
    const path = join(await mkdtemp(join(tmpdir(), "ckpt-")), "meta", "journal");
    const cp = new FileCheckpointer(path);
    await cp.load();
    const flushes: Promise<void>[] = [];
    for (let i = 0; i < 500; i++) {
      cp.put(`task/${i}`, { i });
      flushes.push(cp.flush());
    }
    cp.delete("task/3");
    flushes.push(cp.flush());
    await Promise.all(flushes);
    expect(cp.writes).toBeLessThanOrEqual(5);
    await cp.close();
    const again = new FileCheckpointer(path);
    const map = await again.load();
    expect(map.size).toBe(499);
    expect(map.get("task/499")).toEqual({ i: 499 });
    expect(map.has("task/3")).toBe(false);
    await again.close();
  });

  it("writes a key put several times before a write once, with its newest value, and a put-then-deleted key not at all", async () => {
    const path = join(await mkdtemp(join(tmpdir(), "ckpt-")), "journal");
    const cp = new FileCheckpointer(path);
    await cp.load();
    cp.put("state/a", { state: "TASK_STARTING" });
    cp.put("state/a", { state: "TASK_RUNNING" });
    cp.put("tmp", 1);
    cp.delete("tmp");
    await cp.flush();
    await cp.close();
    expect((await readFile(path, "utf8")).trim().split("\n")).toEqual(['["state/a",{"state":"TASK_RUNNING"}]']);
    expect([...(await new FileCheckpointer(path).load())]).toEqual([["state/a", { state: "TASK_RUNNING" }]]);
  });

  it("ignores a torn last line after a crash", async () => {
    const path = join(await mkdtemp(join(tmpdir(), "ckpt-")), "journal");
    const cp = new FileCheckpointer(path);
    await cp.load();
    cp.put("a", 1);
    await cp.flush();
    await cp.close();
    await appendFile(path, '["b", {"half');
    const map = await new FileCheckpointer(path).load();
    expect([...map.entries()]).toEqual([["a", 1]]);
  });

  it("loads an empty map when no checkpoint exists", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ckpt-"));
    expect((await new FileCheckpointer(join(dir, "x")).load()).size).toBe(0);
  });
});
