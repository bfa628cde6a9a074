/** Framework failover and agent loss, over real HTTP. */
import { afterEach, describe, expect, it } from "vitest";
import { TestFramework, taskFor, waitFor } from "@caravel/testing";
import { subscribeScheduler } from "@caravel/api";
import { AgentDriver } from "./test-support/agent-driver.js";
import { startTestMaster } from "./test-support/master.js";

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function withTask(overrides = {}, frameworkInfo = {}) {
  const master = await startTestMaster(overrides);
  cleanup.push(() => master.close());
  const agent = new AgentDriver({ masterUrl: master.url });
  await agent.subscribe();
  cleanup.push(() => agent.disconnect());
  const fw = await TestFramework.subscribe(master.url, { frameworkInfo });
  cleanup.push(() => fw.close());
  const [offer] = await fw.waitForOffers();
  await fw.launch(offer!, [taskFor(offer!, { id: "t1", resources: "cpus:1;mem:64" })]);
  await fw.waitForTaskState("t1", "TASK_RUNNING");
  return { master, agent, fw };
}

describe("framework failover", () => {
  it("keeps tasks when the framework re-subscribes within failover_timeout", async () => {
    const { master, fw } = await withTask({}, { failover_timeout: 60 });
    const id = fw.frameworkId;
    await fw.close();
    const again = await TestFramework.subscribe(master.url, { frameworkInfo: { id: { value: id }, failover_timeout: 60 } });
    cleanup.push(() => again.close());
    expect(again.frameworkId).toBe(id);
    await again.reconcile();
    await again.waitForEvent("UPDATE", (e) => e.update?.status.task_id.value === "t1" && e.update.status.state === "TASK_RUNNING");
  });

  it("removes the framework and kills its tasks after failover_timeout", async () => {
    const { master, agent, fw } = await withTask({}, { failover_timeout: 0.3 });
    const id = fw.frameworkId;
    await fw.close();
    await waitFor(() => agent.events.some((e) => e.type === "SHUTDOWN_FRAMEWORK" && e.shutdown_framework?.framework_id.value === id));
    const state = (await (await fetch(`${master.url}/master/state`)).json()) as { completed_frameworks: Array<{ id: string; completed_tasks: Array<{ state: string }> }> };
    expect(state.completed_frameworks[0]!.id).toBe(id);
    expect(state.completed_frameworks[0]!.completed_tasks[0]!.state).toBe("TASK_KILLED");
    await expect(subscribeScheduler(master.url, { frameworkInfo: { user: "root", name: "x", id: { value: id } } })).rejects.toThrow(/Framework has been removed/);
  });

  it("sends ERROR to the old stream when a framework fails over to a new connection", async () => {
    const { master, fw } = await withTask({}, { failover_timeout: 60 });
    const second = await TestFramework.subscribe(master.url, { frameworkInfo: { id: { value: fw.frameworkId }, failover_timeout: 60 } });
    cleanup.push(() => second.close());
    await waitFor(() => fw.events.some((e) => e.type === "ERROR" && e.error?.message === "Framework failed over"));
  });
});

describe("agent loss", () => {
  it("marks a silent agent unreachable (TASK_UNREACHABLE for partition-aware frameworks) and takes it back", async () => {
    const { master, agent, fw } = await withTask({ agent_ping_timeout: 0.1, max_agent_ping_timeouts: 2 }, { capabilities: [{ type: "PARTITION_AWARE" }] });
    agent.answerPings = false;
    const unreachable = await fw.waitForTaskState("t1", "TASK_UNREACHABLE");
    expect(unreachable.unreachable_time).toBeTruthy();
    await fw.waitForEvent("FAILURE", (e) => e.failure?.agent_id?.value === agent.agentId);
    agent.disconnect();
    agent.answerPings = true;
    await agent.subscribe();
    await waitFor(() => fw.statuses.get("t1")!.filter((s) => s.state === "TASK_RUNNING").length >= 2);
    const state = (await (await fetch(`${master.url}/master/state`)).json()) as { frameworks: Array<{ tasks: Array<{ state: string }> }>; slaves: unknown[] };
    expect(state.frameworks[0]!.tasks[0]!.state).toBe("TASK_RUNNING");
    expect(state.slaves).toHaveLength(1);
  });

  it("gives legacy frameworks TASK_LOST", async () => {
    const { agent, fw } = await withTask({ agent_ping_timeout: 0.1, max_agent_ping_timeouts: 2 });
    agent.answerPings = false;
    const lost = await fw.waitForTaskState("t1", "TASK_LOST");
    expect(lost.reason).toBe("REASON_AGENT_REMOVED");
  });
});
