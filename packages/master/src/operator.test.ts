/** The operator API: synchronous calls in v1 JSON and the SUBSCRIBE event stream. */
import { afterEach, describe, expect, it } from "vitest";
import { createMasterClient, type OperatorEvent } from "@caravel/api";
import { TestFramework, taskFor, waitFor } from "@caravel/testing";
import { AgentDriver } from "./test-support/agent-driver.js";
import { startTestMaster } from "./test-support/master.js";

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe("operator API", () => {
  it("answers GET_* calls and streams TASK_ADDED, TASK_UPDATED, AGENT_ADDED and FRAMEWORK_ADDED", async () => {
    const master = await startTestMaster();
    cleanup.push(() => master.close());
    const client = createMasterClient(master.url);
    const controller = new AbortController();
    cleanup.push(() => controller.abort());
    const events: OperatorEvent[] = [];
    void (async () => {
      for await (const event of client.subscribe(controller.signal)) events.push(event);
    })().catch(() => undefined);
    await waitFor(() => events.some((e) => e.type === "SUBSCRIBED"));

    const agent = new AgentDriver({ masterUrl: master.url, resources: "cpus:2;mem:1024;ports:[31000-31010]" });
    await agent.subscribe();
    cleanup.push(() => agent.disconnect());
    const fw = await TestFramework.subscribe(master.url);
    cleanup.push(() => fw.close());
    const [offer] = await fw.waitForOffers();
    await fw.launch(offer!, [taskFor(offer!, { id: "op1", resources: "cpus:1;mem:64" })]);
    await fw.waitForTaskState("op1", "TASK_RUNNING");

    await waitFor(() => ["AGENT_ADDED", "FRAMEWORK_ADDED", "TASK_ADDED", "TASK_UPDATED"].every((t) => events.some((e) => e.type === t)));
    const updated = events.find((e) => e.type === "TASK_UPDATED");
    expect(updated?.["task_updated"]).toMatchObject({ framework_id: { value: fw.frameworkId }, state: "TASK_RUNNING" });

    const health = await client.call<unknown>("GET_HEALTH");
    expect(health).toEqual({ type: "GET_HEALTH", get_health: { healthy: true } });
    const state = await client.call<{
      get_state: { get_tasks: { tasks: unknown[] }; get_agents: { agents: Array<{ agent_info: { hostname: string } }> } };
    }>("GET_STATE");
    expect(state.get_state.get_tasks.tasks[0]).toMatchObject({ task_id: { value: "op1" }, state: "TASK_RUNNING" });
    expect(state.get_state.get_agents.agents[0]!.agent_info.hostname).toBe("agent1");
    const frameworks = await client.call<{ get_frameworks: { frameworks: Array<{ framework_info: { id: { value: string } } }> } }>("GET_FRAMEWORKS");
    expect(frameworks.get_frameworks.frameworks[0]!.framework_info.id.value).toBe(fw.frameworkId);
    const metrics = await client.call<{ get_metrics: { metrics: Array<{ name: string; value: number }> } }>("GET_METRICS");
    expect(metrics.get_metrics.metrics.find((m) => m.name === "master/tasks_running")?.value).toBe(1);
    const roles = await client.call<{ get_roles: { roles: unknown[] } }>("GET_ROLES");
    expect(roles.get_roles.roles.length).toBeGreaterThan(0);

    await client.call("UPDATE_WEIGHTS", { weight_infos: [{ role: "web", weight: 2 }] });
    expect((await client.call<{ get_weights: { weight_infos: unknown } }>("GET_WEIGHTS")).get_weights.weight_infos).toEqual([{ role: "web", weight: 2 }]);
    await client.call("UPDATE_QUOTA", { quota_configs: [{ role: "web", limits: { cpus: { value: 1 } } }] });
    expect((await client.call<{ get_quota: { status: { configs: Array<{ role: string }> } } }>("GET_QUOTA")).get_quota.status.configs[0]!.role).toBe("web");
    const snapshot = await client.get<Record<string, number>>("/metrics/snapshot");
    expect(snapshot["master/slaves_active"]).toBe(1);
  });

  it("drains an agent: no more offers, its tasks are killed, then it is DRAINED", async () => {
    // 0secs: Mesos' immediate kills (the default waits for the framework; see drain.test.ts).
    const master = await startTestMaster({ drain_timeout: "0secs" });
    cleanup.push(() => master.close());
    const agent = new AgentDriver({ masterUrl: master.url });
    await agent.subscribe();
    cleanup.push(() => agent.disconnect());
    const fw = await TestFramework.subscribe(master.url);
    cleanup.push(() => fw.close());
    const [offer] = await fw.waitForOffers();
    await fw.launch(offer!, [taskFor(offer!, { id: "d1", resources: "cpus:1;mem:64" })]);
    await fw.waitForTaskState("d1", "TASK_RUNNING");
    const client = createMasterClient(master.url);
    await client.call("DRAIN_AGENT", { agent_id: { value: agent.agentId }, max_grace_period: { seconds: 5 } });
    await fw.waitForTaskState("d1", "TASK_KILLED");
    await fw.waitForEvent("INVERSE_OFFERS");
    await waitFor(async () => {
      const agents = await client.call<{ get_agents: { agents: Array<{ drain_info?: { state: string } }> } }>("GET_AGENTS");
      return agents.get_agents.agents[0]!.drain_info?.state === "DRAINED";
    });
    await client.call("REACTIVATE_AGENT", { agent_id: { value: agent.agentId } });
    await fw.revive();
    await fw.waitForOffers();
  });
});
