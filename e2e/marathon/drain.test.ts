/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers from the API, checked by the assertions */
/**
 * Drain without downtime: an app with a health check runs 3 instances on 3 of 4 agents (hostname
 * UNIQUE); one agent is drained through the master's operator API (DRAIN_AGENT). The master sends an
 * inverse offer and waits; Marathon starts a replacement elsewhere, kills the drained instance only
 * once the replacement is healthy, then accepts the inverse offer. Sampling the healthy count
 * throughout: never below minimumHealthCapacity; at the end nothing of the app is on the drained agent.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@caravel/testing";
import { startMarathonCluster, type MarathonCluster } from "./cluster.js";

let c: MarathonCluster;
beforeAll(async () => {
  c = await startMarathonCluster({ agents: 4, resources: "cpus:4;mem:4096;disk:10000;ports:[31000-31099]" });
}, 120_000);

const tasksOf = async (id: string): Promise<any[]> => (await c.api("GET", `/v2/apps${id}`)).json.app.tasks;
const healthy = (tasks: any[]) => tasks.filter((t) => t.state === "TASK_RUNNING" && t.healthCheckResults?.[0]?.alive === true);

describe("drain without downtime", () => {
  it("replaces first, never drops below minimumHealthCapacity, and ends off the drained agent", { timeout: 180_000 }, async () => {
    const app = {
      id: "/drained/web",
      cmd: "sleep 1000",
      cpus: 0.1,
      mem: 32,
      instances: 3,
      constraints: [["hostname", "UNIQUE"]],
      portDefinitions: [{ port: 0 }],
      healthChecks: [{ protocol: "MESOS_TCP", portIndex: 0, gracePeriodSeconds: 30, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 3 }],
      upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 0.5 },
    };
    expect((await c.api("POST", "/v2/apps", app)).status).toBe(201);
    await waitFor(async () => healthy(await tasksOf("/drained/web")).length === 3, { timeoutMs: 60_000, message: "3 healthy instances" });
    const victim = (await tasksOf("/drained/web"))[0].slaveId as string;

    // Sample the healthy count throughout the drain.
    let lowest = Infinity;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        lowest = Math.min(lowest, healthy(await tasksOf("/drained/web")).length);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const res = await fetch(`${c.masterUrl}/api/v1`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type: "DRAIN_AGENT", drain_agent: { agent_id: { value: victim } } }) });
    expect(res.status).toBeLessThan(300);
    try {
      await waitFor(async () => {
        const tasks = await tasksOf("/drained/web");
        return tasks.length === 3 && healthy(tasks).length === 3 && tasks.every((t) => t.slaveId !== victim);
      }, { timeoutMs: 120_000, message: "3 healthy instances, none on the drained agent" });
    } finally {
      sampling = false;
      await sampler;
    }
    expect(lowest).toBeGreaterThanOrEqual(3);
    // The master finishes the drain: nothing of Marathon's is left on the agent.
    await waitFor(async () => {
      const agents = await (await fetch(`${c.masterUrl}/api/v1`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type: "GET_AGENTS" }) })).json();
      return agents.get_agents.agents.find((a: any) => a.agent_info.id.value === victim)?.drain_info?.state === "DRAINED";
    }, { timeoutMs: 90_000, message: "the agent to be DRAINED" });
  });
});
