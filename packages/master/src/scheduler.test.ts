/** The scheduler API over real HTTP: subscribe, offers, launch, updates, acknowledgements, reconcile, kill. */
import { afterEach, describe, expect, it } from "vitest";
import { parseResources } from "@caravel/api";
import { TestFramework, task, waitFor } from "@caravel/testing";
import { AgentDriver } from "./test-support/agent-driver.js";
import { startTestMaster, type TestMaster } from "./test-support/master.js";

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function cluster(overrides = {}) {
  const master = await startTestMaster(overrides);
  cleanup.push(() => master.close());
  const agent = new AgentDriver({ masterUrl: master.url });
  await agent.subscribe();
  cleanup.push(() => agent.disconnect());
  return { master, agent };
}

async function subscribe(master: TestMaster, info = {}) {
  const fw = await TestFramework.subscribe(master.url, { frameworkInfo: info });
  cleanup.push(() => fw.close());
  return fw;
}

describe("scheduler API", () => {
  it("subscribes, offers in Mesos' shape, launches, forwards updates and acknowledgements", async () => {
    const { master, agent } = await cluster();
    const fw = await subscribe(master);
    expect(fw.events[0]?.type).toBe("HEARTBEAT");
    const [offer] = await fw.waitForOffers();
    expect(offer!.agent_id.value).toBe(agent.agentId);
    expect(offer!.url?.address.ip).toBe("127.0.0.1");
    expect(offer!.url?.path).toBe("/slave(1)");
    expect(offer!.resources.find((r) => r.name === "cpus")?.role).toBe("*");
    expect(offer!.allocation_info).toBeUndefined();

    await fw.launch(offer!, [task({ id: "t1", agentId: offer!.agent_id.value, resources: "cpus:1;mem:128" })]);
    const running = await fw.waitForTaskState("t1", "TASK_RUNNING");
    expect(running.uuid).toBeTruthy();
    await waitFor(() => agent.events.some((e) => e.type === "ACKNOWLEDGE" && e.acknowledge?.task_id.value === "t1"));

    const state = (await (await fetch(`${master.url}/master/state`)).json()) as {
      leader: string;
      slaves: Array<{ pid: string; resources: Record<string, unknown> }>;
      frameworks: Array<{ tasks: unknown[] }>;
    };
    expect(state.leader).toMatch(/^master@127\.0\.0\.1:\d+$/);
    expect(state.slaves[0]!.pid).toMatch(/^slave\(1\)@127\.0\.0\.1:5051$/);
    expect(state.frameworks[0]!.tasks[0]).toMatchObject({ id: "t1", state: "TASK_RUNNING", slave_id: agent.agentId });
    expect(state.slaves[0]!.resources["ports"]).toBe("[31000-31100]");
  });

  it("reconciles implicitly and explicitly without uuids", async () => {
    const { master } = await cluster();
    const fw = await subscribe(master, { capabilities: [{ type: "PARTITION_AWARE" }] });
    const [offer] = await fw.waitForOffers();
    await fw.launch(offer!, [task({ id: "r1", agentId: offer!.agent_id.value, resources: "cpus:0.5;mem:64" })]);
    await fw.waitForTaskState("r1", "TASK_RUNNING");
    await fw.reconcile();
    const reply = await fw.waitForEvent("UPDATE", (e) => e.update?.status.reason === "REASON_RECONCILIATION");
    expect(reply.update?.status).toMatchObject({ state: "TASK_RUNNING", source: "SOURCE_MASTER" });
    expect(reply.update?.status.uuid).toBeUndefined();
    await fw.reconcile([{ taskId: "nope", agentId: offer!.agent_id.value }]);
    const unknown = await fw.waitForEvent("UPDATE", (e) => e.update?.status.task_id.value === "nope");
    expect(unknown.update?.status.state).toBe("TASK_GONE");
  });

  it("kills a task through its agent", async () => {
    const { master, agent } = await cluster();
    const fw = await subscribe(master);
    const [offer] = await fw.waitForOffers();
    await fw.launch(offer!, [task({ id: "k1", agentId: offer!.agent_id.value, resources: "cpus:1;mem:64" })]);
    await fw.waitForTaskState("k1", "TASK_RUNNING");
    await fw.kill("k1", agent.agentId);
    await fw.waitForTaskState("k1", "TASK_KILLED");
    await waitFor(async () => {
      const tasks = (await (await fetch(`${master.url}/master/tasks?order=asc`)).json()) as { tasks: Array<{ id: string; state: string }> };
      return tasks.tasks.find((t) => t.id === "k1")?.state === "TASK_KILLED";
    });
  });

  it("answers invalid launches with TASK_ERROR and invalid offers with TASK_LOST, changing nothing", async () => {
    const { master } = await cluster();
    const fw = await subscribe(master);
    const [offer] = await fw.waitForOffers();
    const agentId = offer!.agent_id.value;
    await fw.launch(offer!, [task({ id: "big", agentId, resources: "cpus:64;mem:64" })], 0);
    const big = await fw.waitForTaskState("big", "TASK_ERROR");
    expect(big.reason).toBe("REASON_TASK_INVALID");
    expect(big.message).toMatch(/more resources .* than available/);

    const [again] = await fw.waitForOffers();
    await fw.launch(again!, [task({ id: "dup", agentId, resources: "cpus:1;mem:64" })], 0);
    await fw.waitForTaskState("dup", "TASK_RUNNING");
    const [third] = await fw.waitForOffers();
    await fw.launch(third!, [task({ id: "dup", agentId, resources: "cpus:1;mem:64" })], 0);
    await waitFor(() => fw.statuses.get("dup")?.some((s) => s.state === "TASK_ERROR" && /already in use/.test(s.message ?? "")));

    await fw.launch({ ...third!, id: { value: "no-such-offer" } }, [task({ id: "lost", agentId, resources: "cpus:1;mem:64" })], 0);
    const lost = await fw.waitForTaskState("lost", "TASK_LOST");
    expect(lost.reason).toBe("REASON_INVALID_OFFERS");
    const state = (await (await fetch(`${master.url}/master/state`)).json()) as { frameworks: Array<{ tasks: Array<{ id: string }> }> };
    expect(state.frameworks[0]!.tasks.map((t) => t.id)).toEqual(["dup"]);
  });
});

describe("task groups", () => {
  it("launches a task group all-or-nothing on the group's agent", async () => {
    const { master, agent } = await cluster();
    const fw = await subscribe(master);
    const [offer] = await fw.waitForOffers();
    const agentId = offer!.agent_id.value;
    const executor = { type: "DEFAULT", executor_id: { value: "exec-1" }, resources: parseResources("cpus:0.1;mem:32") };
    const group = (ids: string[], cpus: number) => ({ tasks: ids.map((id) => task({ id, agentId, resources: `cpus:${cpus};mem:32` })) });
    fw.offers.clear(); // used by the raw ACCEPT below
    await fw.send({ type: "ACCEPT", accept: { offer_ids: [offer!.id], operations: [{ type: "LAUNCH_GROUP", launch_group: { executor, task_group: group(["g1", "g2"], 100) } }], filters: { refuse_seconds: 0 } } });
    const bad = await fw.waitForTaskState("g2", "TASK_ERROR");
    expect(bad.reason).toBe("REASON_TASK_GROUP_INVALID");
    const [again] = await fw.waitForOffers();
    fw.offers.clear();
    await fw.send({ type: "ACCEPT", accept: { offer_ids: [again!.id], operations: [{ type: "LAUNCH_GROUP", launch_group: { executor, task_group: group(["g3", "g4"], 0.5) } }] } });
    await waitFor(() => agent.events.some((e) => e.type === "RUN_TASK_GROUP" && e.run_task_group?.task_group.tasks.length === 2));
  });
});
