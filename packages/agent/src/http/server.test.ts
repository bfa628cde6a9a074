import { mkdtemp, readFile, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MetricsRegistry, silentLogger } from "@caravel/runtime";
import { parseAttributes, parseResources } from "@caravel/api";
import { registerAgentMetrics } from "../core/metrics.js";
import { FakeMaster, waitFor } from "../testing/fake-master.js";
import { startTestAgent } from "../testing/test-agent.js";
import { createServer } from "./server.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup() {
  const master = await new FakeMaster().start();
  cleanups.push(() => master.close());
  const dir = await mkdtemp(join(tmpdir(), "agent-http-"));
  const logFile = join(dir, "agent.log");
  await writeFile(logFile, "log line\n");
  const agent = await startTestAgent(master.url, dir, {
    hostname: "h1",
    resources: parseResources("cpus:2;mem:1024;ports:[31000-31010]"),
    attributes: parseAttributes("rack:r1;level:3"),
  });
  cleanups.push(() => agent.close());
  const metrics = new MetricsRegistry();
  registerAgentMetrics(metrics, () => [agent.metrics], Date.now() / 1000);
  const server = createServer({ agents: [agent], log: silentLogger(), metrics, flags: { port: 5051 }, logFile, logDir: dir });
  const listening = await server.listen(0, "127.0.0.1");
  cleanups.push(() => server.close());
  await waitFor(() => agent.link.connected, "subscribed");
  master.send({
    type: "RUN_TASK",
    run_task: {
      framework: { user: "root", name: "marathon", id: { value: "fw" }, roles: [], capabilities: [] },
      task: { name: "web", task_id: { value: "web.1" }, agent_id: { value: "x" }, resources: parseResources("cpus:0.5;mem:64"), command: { value: "x" } },
    },
  });
  await waitFor(() => master.statesOf("web.1").includes("TASK_RUNNING"), "RUNNING");
  const record = [...agent.tasks.values()][0]!;
  await writeFile(join(record.sandbox, "stdout"), "0123456789");
  return { url: listening.url, agent, dir, record };
}

/** Fetches `url`; the body is parsed JSON (typed as the caller expects) or text. */
const get = async <T = unknown>(url: string): Promise<{ status: number; body: T }> => {
  const r = await fetch(url);
  return { status: r.status, body: (r.headers.get("content-type")?.includes("json") ? await r.json() : await r.text()) as T };
};

describe("agent HTTP API", () => {
  it("serves /state in Mesos' shape", async () => {
    const { url, agent } = await setup();
    const { status, body } = await get<{
      id: string;
      pid: string;
      resources: unknown;
      attributes: unknown;
      frameworks: Array<{ executors: Array<{ id: string; tasks: unknown[]; directory: string }> }>;
    }>(`${url}/slave(1)/state`);
    expect(status).toBe(200);
    expect(body.id).toBe(agent.agentId);
    expect(body.pid).toBe("slave(1)@127.0.0.1:5051");
    expect(body.resources).toMatchObject({ cpus: 2, mem: 1024, ports: "[31000-31010]" });
    expect(body.attributes).toEqual({ rack: "r1", level: 3 });
    const exec = body.frameworks[0]!.executors[0]!;
    expect(exec.id).toBe("web.1");
    expect(exec.tasks[0]).toMatchObject({ id: "web.1", state: "TASK_RUNNING", framework_id: "fw" });
    expect(exec.directory).toContain("/runs/");
    expect((await get(`${url}/state?jsonp=cb`)).body).toMatch(/^cb\(/);
  });

  it("serves metrics, health, statistics and /api/v1", async () => {
    const { url } = await setup();
    expect((await get(`${url}/health`)).status).toBe(200);
    const snap = (await get<Record<string, number>>(`${url}/metrics/snapshot`)).body;
    expect(snap["slave/tasks_running"]).toBe(1);
    expect(snap["slave/registered"]).toBe(1);
    expect((await get(`${url}/metrics`)).body).toContain("caravel_slave_tasks_running 1");
    const stats = (await get<Array<{ statistics: { mem_limit_bytes: number } }>>(`${url}/monitor/statistics`)).body;
    expect(stats[0]).toMatchObject({ executor_id: "web.1", framework_id: "fw" });
    expect(stats[0]!.statistics.mem_limit_bytes).toBe(64 * 1024 * 1024);
    const post = (body: unknown) => fetch(`${url}/api/v1`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    expect(await (await post({ type: "GET_HEALTH" })).json()).toEqual({ type: "GET_HEALTH", get_health: { healthy: true } });
    const containers = (await (await post({ type: "GET_CONTAINERS" })).json()) as { get_containers: { containers: unknown[] } };
    expect(containers.get_containers.containers).toHaveLength(1);
    const state = (await (await post({ type: "GET_STATE" })).json()) as { get_state: { get_tasks: { launched_tasks: Array<{ task_id: { value: string } }> } } };
    expect(state.get_state.get_tasks.launched_tasks[0]!.task_id.value).toBe("web.1");
    const bad = await post({ type: "NOPE" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/'type' must be one of/);
    const malformed = await fetch(`${url}/api/v1`, { method: "POST", body: "{" });
    expect(malformed.status).toBe(400);
  });

  it("browses, reads and downloads sandbox files with Mesos semantics", async () => {
    const { url, record } = await setup();
    const latest = `/frameworks/fw/executors/web.1/runs/latest`;
    const browse = (await get<Array<{ path: string; mode: string }>>(`${url}/files/browse?path=${encodeURIComponent(latest)}`)).body;
    expect(browse.map((e) => e.path)).toContain(`${latest}/stdout`);
    expect(browse[0]!.mode).toMatch(/^-rw/);
    const read = (q: string) => get(`${url}/files/read?path=${encodeURIComponent(record.sandbox + "/stdout")}${q}`);
    expect((await read("&offset=-1")).body).toEqual({ offset: 10, data: "" });
    expect((await read("")).body).toEqual({ offset: 10, data: "" });
    expect((await read("&offset=2&length=3")).body).toEqual({ offset: 2, data: "234" });
    expect((await read("&offset=20")).body).toEqual({ offset: 20, data: "" });
    expect((await read("&offset=abc")).status).toBe(400);
    const dir = await get<{ message: string }>(`${url}/files/read?path=${encodeURIComponent(record.sandbox)}&offset=0`);
    expect(dir.status).toBe(400);
    expect(dir.body.message).toBe("Cannot read a directory.");
    const dl = await fetch(`${url}/files/download?path=${encodeURIComponent(latest + "/stdout")}`);
    expect(await dl.text()).toBe("0123456789");
    expect((await get<{ data: string }>(`${url}/files/read?path=/slave/log&offset=0`)).body.data).toBe("log line\n");
    const debug = (await get<Record<string, string>>(`${url}/files/debug`)).body;
    expect(debug[latest]).toBe(record.sandbox);
  });

  it("refuses paths outside the sandboxes with 4xx", async () => {
    const { url, record, dir } = await setup();
    await writeFile(join(dir, "secret"), "s");
    await symlink(join(dir, "secret"), join(record.sandbox, "link"));
    const code = async (p: string) => (await fetch(`${url}/files/read?offset=0&path=${encodeURIComponent(p)}`)).status;
    expect(await code(`${record.sandbox}/../../../../../../../secret`)).toBe(400);
    expect(await code("/etc/passwd")).toBe(403);
    expect(await code(`${record.sandbox}/link`)).toBe(403);
    expect(await code("")).toBe(400);
    expect(await readFile(join(dir, "secret"), "utf8")).toBe("s");
  });
});
