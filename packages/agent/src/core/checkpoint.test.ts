import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileCheckpointer } from "./checkpoint.js";

describe("FileCheckpointer", () => {
  it("persists the snapshot taken after each save call, coalescing bursts", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ckpt-"));
    let counter = 0;
    let snapshots = 0;
    const cp = new FileCheckpointer(join(dir, "meta", "agent.json"), () => {
      snapshots++;
      return { counter };
    });
    const saves: Promise<void>[] = [];
    for (let i = 0; i < 100; i++) {
      counter = i;
      saves.push(cp.save());
    }
    await Promise.all(saves);
    expect(await cp.load()).toEqual({ counter: 99 });
    expect(snapshots).toBeLessThanOrEqual(3);
    expect(JSON.parse(await readFile(join(dir, "meta", "agent.json"), "utf8"))).toEqual({ counter: 99 });
  });

  it("loads nothing when no checkpoint exists", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ckpt-"));
    expect(await new FileCheckpointer(join(dir, "x.json"), () => ({})).load()).toBeUndefined();
  });
});
