/** The scheduler test driver against a real caravel-master (and, for offers, a simulated agent). */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { binPath, freePort, TestFramework, useProcesses } from "./index.js";

const scope = useProcesses();

async function startMaster() {
  const port = await freePort();
  return scope.start({
    name: "master",
    command: process.execPath,
    args: [binPath("master"), "--port", String(port), "--work_dir", mkdtempSync(join(tmpdir(), "tf-master-")), "--log_level", "warn"],
    healthUrl: `http://127.0.0.1:${port}/health`,
  });
}

describe("TestFramework", () => {
  it("subscribes, sees heartbeats, reconciles and tears down", async () => {
    const master = await startMaster();
    const fw = await TestFramework.subscribe(master.url);
    expect(fw.frameworkId).not.toBe("");
    await fw.waitForEvent("HEARTBEAT");
    // Explicit reconciliation of an unknown task answers TASK_LOST/UNKNOWN-ish state from the master.
    await fw.reconcile([{ taskId: "no-such-task" }]);
    const status = await fw.waitForEvent("UPDATE", (e) => e.update?.status.task_id.value === "no-such-task");
    expect(status.update?.status.source).toBe("SOURCE_MASTER");
    await fw.teardown();
    expect(fw.streamError).toBeUndefined();
  });

  it("fails a wait at once with the stream's error when the master goes away", async () => {
    const master = await startMaster();
    const fw = await TestFramework.subscribe(master.url);
    await master.stop();
    await expect(fw.waitForOffers(1, { timeoutMs: 120_000 })).rejects.toThrow(/scheduler stream failed/);
    await fw.close();
  });
});
