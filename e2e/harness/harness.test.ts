/** Self-test of the shared e2e harness (not a scenario): a local cluster comes up and goes down cleanly. */
import { describe, expect, it } from "vitest";
import { builders, isRunning, startLocalCluster, TestFramework } from "./index.js";

describe("startLocalCluster", () => {
  it("starts master and a simulated agent through caravel-launch, and stops them", { timeout: 240_000 }, async () => {
    const cluster = await startLocalCluster({ agents: 1, containerizers: "sim", only: ["master", "agent"] });
    expect((await fetch(`${cluster.masterUrl}/health`)).status).toBe(200);
    expect(cluster.components().map((c) => c.name)).toEqual(expect.arrayContaining(["master", "agent-1"]));
    expect(cluster.log("master")).toMatch(/starting master/);

    const fw = await TestFramework.subscribe(cluster.masterUrl);
    const [offer] = await fw.waitForOffers();
    const task = builders.taskFor(offer!);
    await fw.launch(offer!, [task]);
    await fw.waitForTaskState(task.task_id.value, "TASK_RUNNING");
    await fw.teardown();

    const status = await cluster.launch(["status"]);
    expect(status.code).toBe(0);
    const pids = cluster.components().map((c) => c.pid!);
    await cluster.down();
    expect(pids.filter(isRunning)).toEqual([]);
  });
});
