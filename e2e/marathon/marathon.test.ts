/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers from the API, checked by the assertions */
/**
 * Marathon on a real master with simulated agents: scale, constraints, explain, backoff, events,
 * and a kill -9 of Marathon in the middle of a deployment.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { parseSseFrames } from "@caravel/api";
import { waitFor } from "@caravel/testing";
import { startMarathonCluster, type MarathonCluster } from "./cluster.js";

let c: MarathonCluster;
const app = async (id: string) => (await c.api("GET", `/v2/apps${id}`)).json.app;
const running = async (id: string) => (await app(id)).tasks.filter((t: any) => t.state === "TASK_RUNNING");
const settled = (id: string) => waitFor(async () => (await app(id)).deployments.length === 0, { timeoutMs: 60_000, message: `deployments of ${id} to finish` });

beforeAll(async () => {
  c = await startMarathonCluster({ agents: 3, resources: "cpus:4;mem:4096;disk:10000;ports:[31000-31099]", attributes: "rack:r1" });
}, 120_000);

describe("Marathon on a real master", () => {
  it("launches, scales up and scales down without restarting kept tasks", async () => {
    expect((await c.api("POST", "/v2/apps", { id: "/web", cmd: "sleep 1000", cpus: 0.1, mem: 32, instances: 5 })).status).toBe(201);
    await settled("/web");
    expect(await running("/web")).toHaveLength(5);
    const before = new Set((await running("/web")).map((t: any) => t.id));
    expect((await c.api("PUT", "/v2/apps/web", { instances: 8 })).status).toBe(200);
    await settled("/web");
    const up = await running("/web");
    expect(up).toHaveLength(8);
    for (const id of before) expect(up.map((t: any) => t.id)).toContain(id);
    expect(new Set(up.flatMap((t: any) => t.ports.map((p: number) => `${t.host}:${p}`))).size).toBe(8);
    await c.api("PUT", "/v2/apps/web", { instances: 2 });
    await settled("/web");
    await waitFor(async () => (await running("/web")).length === 2);
    const master = await (await fetch(`${c.masterUrl}/master/tasks`)).json();
    await waitFor(async () => ((await (await fetch(`${c.masterUrl}/master/tasks`)).json()).tasks as any[]).filter((t) => t.state === "TASK_RUNNING" && t.name === "web").length === 2, {
      message: "the master to see exactly 2 running web tasks",
    });
    expect(master).toBeTruthy();
  });

  it("places with hostname UNIQUE, queues the rest, and explains why", async () => {
    await c.api("POST", "/v2/apps", { id: "/uniq", cmd: "sleep 1000", cpus: 0.1, mem: 32, instances: 4, constraints: [["hostname", "UNIQUE"]] });
    await waitFor(async () => (await running("/uniq")).length === 3);
    const hosts = (await running("/uniq")).map((t: any) => t.host);
    expect(new Set(hosts).size).toBe(3);
    const queue = await waitFor(async () => (await c.api("GET", "/v2/queue")).json.queue.find((q: any) => q.app.id === "/uniq" && q.processedOffersSummary.processedOffersCount > 0));
    expect(queue.count).toBe(1);
    const explain = await waitFor(async () => {
      const e = (await c.api("GET", "/v2/queue/uniq/explain")).json;
      return e.agents.length === 3 ? e : undefined;
    });
    expect(explain.agents.every((a: any) => a.rejectedBy === "constraint")).toBe(true);
    expect(explain.agents[0].detail).toMatch(/already runs/);
    await c.api("DELETE", "/v2/apps/uniq?force=true");
  });

  it("explains an app that cannot fit, naming the resource and the closest agent", async () => {
    await c.api("POST", "/v2/apps", { id: "/huge", cmd: "sleep 1000", cpus: 512, mem: 32 });
    const explain = await waitFor(async () => {
      const e = (await c.api("GET", "/v2/queue/huge/explain")).json;
      return e.agents.length === 3 && e.waiting > 0 ? e : undefined;
    });
    expect(explain.agents[0]).toMatchObject({ fits: false, rejectedBy: "cpus" });
    expect(explain.agents[0].detail).toMatch(/^needs 512 cpus, has \d/);
    expect(explain.closestFit.missing[0]).toMatch(/needs 512 cpus/);
    expect(explain.summary).toMatch(/no agent fits/);
    await c.api("DELETE", "/v2/apps/huge?force=true");
  });

  it("relaunches failing tasks with backoff and reports the last failure", async () => {
    await c.api("POST", "/v2/apps", { id: "/crash", cmd: "exit 1", cpus: 0.1, mem: 32, backoffSeconds: 1, backoffFactor: 3, env: { CARAVEL_SIM_RUN_MS: "100", CARAVEL_SIM_EXIT_CODE: "1" } });
    const failure = await waitFor(async () => (await app("/crash")).lastTaskFailure);
    expect(failure.state).toBe("TASK_FAILED");
    const delayed = await waitFor(async () => (await c.api("GET", "/v2/queue")).json.queue.find((q: any) => q.app.id === "/crash" && q.delay.timeLeftSeconds > 0), { message: "a backoff delay on /crash" });
    expect(delayed.delay.overdue).toBe(false);
    const explain = (await c.api("GET", "/v2/queue/crash/explain")).json;
    if (explain.waiting > 0) expect(explain.agents.every((a: any) => a.rejectedBy === "backoff")).toBe(true);
    expect((await c.api("DELETE", "/v2/queue/crash/delay")).status).toBe(200);
    await c.api("DELETE", "/v2/apps/crash?force=true");
  });

  it("kills instances that fail their health checks and relaunches them", { timeout: 90_000 }, async () => {
    const controller = new AbortController();
    const events = await fetch(`${c.marathonUrl}/v2/events?event_type=unhealthy_instance_kill_event`, { headers: { accept: "text/event-stream" }, signal: controller.signal });
    const reader = events.body!.getReader();
    await c.api("POST", "/v2/apps", {
      id: "/sick",
      cmd: "sleep 1000",
      cpus: 0.1,
      mem: 32,
      env: { CARAVEL_SIM_UNHEALTHY_AFTER_MS: "300" },
      healthChecks: [{ protocol: "MESOS_HTTP", gracePeriodSeconds: 0, intervalSeconds: 1, timeoutSeconds: 1, maxConsecutiveFailures: 2, delaySeconds: 0 }],
    });
    const first = await waitFor(async () => (await running("/sick"))[0]?.id, { timeoutMs: 60_000 });
    let text = "";
    while (!text.includes("event: unhealthy_instance_kill_event")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    expect(text).toContain(first.split("._app")[0]);
    const failure = await waitFor(async () => (await app("/sick")).lastTaskFailure);
    expect(failure.state).toBe("TASK_KILLED");
    await waitFor(async () => (await running("/sick")).some((t: any) => t.id !== first), { timeoutMs: 60_000, message: "a replacement of the unhealthy instance" });
    await c.api("DELETE", "/v2/apps/sick?force=true");
  });

  it("streams status updates to an SSE client", async () => {
    const controller = new AbortController();
    const res = await fetch(`${c.marathonUrl}/v2/events?event_type=status_update_event&event_type=deployment_success`, { headers: { accept: "text/event-stream" }, signal: controller.signal });
    const reader = res.body!.getReader();
    await c.api("POST", "/v2/apps", { id: "/sse", cmd: "sleep 1000", cpus: 0.1, mem: 32 });
    let text = "";
    while (!(text.includes("TASK_RUNNING") && text.includes("event: deployment_success"))) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    const frames = parseSseFrames(text).filter((f) => f.event === "status_update_event").map((f) => JSON.parse(f.data));
    expect(frames.find((f) => f.appId === "/sse" && f.taskStatus === "TASK_RUNNING")).toBeTruthy();
  });

  it("resumes a deployment after kill -9 of Marathon, without duplicating tasks", { timeout: 120_000 }, async () => {
    await c.api("POST", "/v2/apps", { id: "/resume", cmd: "sleep 1000", cpus: 0.1, mem: 32, instances: 4, constraints: [["hostname", "UNIQUE"]] });
    await waitFor(async () => (await running("/resume")).length === 3);
    const deployment = (await app("/resume")).deployments[0].id;
    const tasks = (await running("/resume")).map((t: any) => t.id).sort();
    c.marathon.kill("SIGKILL");
    await c.marathon.wait();
    try {
      await c.startMarathon();
    } catch (error) {
      console.log(c.marathon.logs().slice(-30).join("\n"));
      throw error;
    }
    expect((await c.api("GET", "/v2/deployments")).json.map((d: any) => d.id)).toContain(deployment);
    await waitFor(async () => (await running("/resume")).length === 3);
    expect((await running("/resume")).map((t: any) => t.id).sort()).toEqual(tasks);
    expect((await c.api("PUT", "/v2/apps/resume?force=true", { instances: 3 })).status).toBe(200);
    await settled("/resume");
    const onMaster = ((await (await fetch(`${c.masterUrl}/master/tasks`)).json()).tasks as any[]).filter((t) => t.name === "resume" && t.state === "TASK_RUNNING");
    expect(onMaster).toHaveLength(3);
  });

  it("moves instances off a drained agent and places nothing new there", { timeout: 120_000 }, async () => {
    await c.api("POST", "/v2/apps", { id: "/drain", cmd: "sleep 1000", cpus: 0.1, mem: 32, instances: 6 });
    await settled("/drain");
    const victim = (await running("/drain"))[0].slaveId as string;
    const res = await fetch(`${c.masterUrl}/api/v1`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type: "DRAIN_AGENT", drain_agent: { agent_id: { value: victim } } }) });
    expect(res.status).toBeLessThan(300);
    await waitFor(async () => {
      const tasks = await running("/drain");
      return tasks.length === 6 && tasks.every((t: any) => t.slaveId !== victim);
    }, { timeoutMs: 90_000, message: "6 instances running away from the drained agent" });
    const explain = (await c.api("GET", "/v2/queue/drain/explain")).json;
    expect(explain.agents.find((a: any) => a.agentId === victim)?.fits ?? false).toBe(false);
  });
});
