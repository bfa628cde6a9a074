/** The scheduler test driver against a real caravel-master (and, for offers, a simulated agent). */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { binPath, builders, freePort, TestFramework, useProcesses } from "./index.js";

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

async function startSimAgent(masterUrl: string) {
  const port = await freePort();
  return scope.start({
    name: "agent",
    command: process.execPath,
    args: [
      binPath("agent"),
      "--master", masterUrl.replace("http://", ""),
      "--port", String(port),
      "--work_dir", mkdtempSync(join(tmpdir(), "tf-agent-")),
      "--containerizers", "sim",
      "--resources", "cpus:2;mem:1024;disk:1024;ports:[31000-31009]",
      "--log_level", "warn",
    ],
    healthUrl: `http://127.0.0.1:${port}/health`,
  });
}

describe("TestFramework", () => {
  it("gets offers, launches a task, sees it run and killed (simulated agent)", { timeout: 240_000 }, async () => {
    const master = await startMaster();
    await startSimAgent(master.url);
    const fw = await TestFramework.subscribe(master.url);
    const [offer] = await fw.waitForOffers();
    const task = builders.taskFor(offer!, { resources: "cpus:0.5;mem:64" });
    await fw.launch(offer!, [task]);
    const running = await fw.waitForTaskState(task.task_id.value, "TASK_RUNNING");
    expect(running.agent_id?.value).toBe(offer!.agent_id.value);
    await fw.kill(task.task_id.value, offer!.agent_id.value);
    await fw.waitForTaskState(task.task_id.value, "TASK_KILLED");
    expect(fw.statuses.get(task.task_id.value)!.map((s) => s.state)).toContain("TASK_RUNNING");
    await fw.teardown();
  });

  it("subscribes, sees heartbeats, reconciles and tears down", { timeout: 240_000 }, async () => {
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

  it("fails a wait at once with the stream's error when the master goes away", { timeout: 240_000 }, async () => {
    const master = await startMaster();
    const fw = await TestFramework.subscribe(master.url);
    await master.stop();
    await expect(fw.waitForOffers(1, { timeoutMs: 120_000 })).rejects.toThrow(/scheduler stream failed/);
    await fw.close();
  });
});
