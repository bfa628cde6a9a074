import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { silentLogger } from "@caravel/runtime";
import { collectGarbage, diskUsage } from "./gc-runner.js";
import type { Agent } from "./agent.js";

describe("sandbox GC on disk", () => {
  it("removes old sandboxes beyond the newest N per app and keeps the rest", async () => {
    const work = await mkdtemp(join(tmpdir(), "gc-"));
    const ended = [];
    for (let i = 0; i < 8; i++) {
      const path = join(work, `web.${i}`);
      await mkdir(path);
      await writeFile(join(path, "stdout"), "x".repeat(100));
      ended.push({ key: `c${i}`, appId: "web", endedAt: 1000 + i, path });
    }
    const forgotten: string[] = [];
    const agent = { ended, forgetEnded: (keys: Set<string>) => forgotten.push(...keys) } as unknown as Agent;
    expect(await diskUsage(ended[0]!.path)).toBe(100);
    const removed = await collectGarbage(agent, { keepPerApp: 5, maxAgeMs: 0, diskBudgetBytes: 1e9 }, silentLogger(), 10_000);
    expect(removed.sort()).toEqual([0, 1, 2].map((i) => join(work, `web.${i}`)));
    expect(forgotten.sort()).toEqual(["c0", "c1", "c2"]);
    for (let i = 0; i < 8; i++) expect(existsSync(join(work, `web.${i}`))).toBe(i >= 3);
  });
});
