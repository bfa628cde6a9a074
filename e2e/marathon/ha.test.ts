/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers from the API, checked by the assertions */
/**
 * Marathon HA with a real ZooKeeper (the one scripts/bootstrap runs on 127.0.0.1:2181, under a fresh
 * chroot): two caravel-marathon processes elect a leader; the follower proxies the API to it and
 * names it in /v2/leader; kill -9 of the leader in the middle of a rolling restart → the follower is
 * elected, re-subscribes with the same framework id, and finishes the deployment with exactly the
 * wanted tasks: none lost, none duplicated.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binPath, freePort, useProcesses, waitFor, type ProcessHandle } from "@caravel/testing";

const ZK = "127.0.0.1:2181";
const scope = useProcesses();
const dir = mkdtempSync(join(tmpdir(), "marathon-ha-"));
const zkUrl = `zk://${ZK}/caravel-e2e-marathon-ha-${randomUUID().slice(0, 8)}`;
let masterUrl = "";
const marathons: { url: string; hostPort: string; handle?: ProcessHandle }[] = [];

async function api(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(base + path, { method, headers: { "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
}

function zookeeperAnswers(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port: 2181 });
    let out = "";
    socket.setTimeout(3000, () => (socket.destroy(), resolve(false)));
    socket.on("connect", () => socket.write("srvr"));
    socket.on("data", (d) => (out += d.toString()));
    socket.on("close", () => resolve(out.includes("Mode:")));
    socket.on("error", () => resolve(false));
  });
}

async function startMarathon(k: number): Promise<void> {
  const m = marathons[k]!;
  m.handle = await scope.start({
    name: `marathon-${k}`,
    command: process.execPath,
    args: [binPath("marathon"), `--http_port=${m.url.split(":").at(-1)}`, `--master=${masterUrl}`, `--zk=${zkUrl}`, "--zk_session_timeout=3000", `--work_dir=${join(dir, `marathon-${k}`)}`, "--log_level=warn", "--reconciliation_interval=5000"],
    healthUrl: `${m.url}/ping`,
  });
}

beforeAll(async () => {
  if (!(await zookeeperAnswers())) {
    throw new Error(`ZooKeeper does not answer on ${ZK}: run scripts/bootstrap (or apt-get install -y --no-install-recommends zookeeper and start it on port 2181)`);
  }
  const masterPort = await freePort();
  masterUrl = `http://127.0.0.1:${masterPort}`;
  await scope.start({
    name: "master",
    command: process.execPath,
    args: [binPath("master"), `--port=${masterPort}`, `--work_dir=${join(dir, "master")}`, "--allocation_interval=0.2", "--log_level=warn"],
    healthUrl: `${masterUrl}/health`,
  });
  await scope.start({
    name: "agents",
    command: process.execPath,
    args: [binPath("agent"), `--master=127.0.0.1:${masterPort}`, `--port=${await freePort()}`, `--work_dir=${join(dir, "agent")}`, "--containerizers=sim", "--simulate=3", "--resources=cpus:8;mem:8192;disk:10000;ports:[31000-31999]", "--log_level=warn"],
  });
  await waitFor(async () => ((await (await fetch(`${masterUrl}/master/slaves`)).json()) as { slaves: unknown[] }).slaves.length === 3, { timeoutMs: 60_000, message: "3 simulated agents" });
  for (let k = 0; k < 2; k++) {
    const port = await freePort();
    marathons.push({ url: `http://127.0.0.1:${port}`, hostPort: `127.0.0.1:${port}` });
  }
}, 120_000);

afterAll(() => scope.stopAll());

const masterTasks = async (prefix: string) => (((await (await fetch(`${masterUrl}/master/tasks`)).json()) as any).tasks as any[]).filter((t) => t.id.startsWith(prefix) && t.state === "TASK_RUNNING");

describe("Marathon HA through ZooKeeper", () => {
  it("elects one leader, proxies through the follower, and survives kill -9 of the leader mid-deployment", { timeout: 240_000 }, async () => {
    const [first, second] = marathons as [(typeof marathons)[0], (typeof marathons)[0]];
    await startMarathon(0);
    await waitFor(async () => (await api(first.url, "GET", "/v2/leader")).json?.leader === first.hostPort, { timeoutMs: 60_000, message: "the first Marathon to lead" });
    const frameworkId = await waitFor(async () => (await api(first.url, "GET", "/v2/info")).json.frameworkId, { message: "the leader to subscribe" });
    await startMarathon(1);
    await waitFor(async () => (await api(second.url, "GET", "/v2/leader")).json?.leader === first.hostPort, { timeoutMs: 30_000, message: "the follower to know the leader" });

    // Through the follower: proxied to the leader (X-Marathon-Via), which answers as the leader.
    const info = await api(second.url, "GET", "/v2/info");
    expect(info.status).toBe(200);
    expect(info.json).toMatchObject({ elected: true, leader: first.hostPort, frameworkId, marathon_config: { ha: true } });
    expect(info.headers.get("x-marathon-leader")).toBe(`http://${first.hostPort}`);
    expect(info.headers.get("x-marathon-via")).toBe(second.hostPort);
    // The event stream too is served through the follower (proxied as a stream).
    const controller = new AbortController();
    const stream = await fetch(`${second.url}/v2/events`, { headers: { accept: "text/event-stream" }, signal: controller.signal });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    let received = "";
    while (!received.includes("event_stream_attached")) received += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const v1 = {
      id: "/ha/web",
      cmd: "sleep 1000",
      cpus: 0.1,
      mem: 16,
      instances: 8,
      // Old tasks ignore SIGTERM and linger for the grace period, so the rolling restart takes a while.
      labels: { CARAVEL_SIM_IGNORE_TERM: "true" },
      taskKillGracePeriodSeconds: 3,
      upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 },
    };
    expect((await api(second.url, "POST", "/v2/apps", v1)).status).toBe(201);
    await waitFor(async () => (await api(second.url, "GET", "/v2/apps/ha/web")).json.app.deployments.length === 0, { timeoutMs: 60_000, message: "the first deployment" });
    expect(await masterTasks("ha_web.")).toHaveLength(8);

    // A rolling restart, and kill -9 of the leader while it runs.
    const put = await api(second.url, "PUT", "/v2/apps/ha/web", { ...v1, env: { VERSION: "2" } });
    expect(put.status).toBe(200);
    const deployments = (await api(first.url, "GET", "/v2/deployments")).json as any[];
    expect(deployments.map((d) => d.id)).toContain(put.json.deploymentId);
    first.handle!.kill("SIGKILL");

    // The follower takes over (once the dead leader's ZooKeeper session expires) and finishes the job.
    await waitFor(async () => (await api(second.url, "GET", "/v2/leader")).json?.leader === second.hostPort, { timeoutMs: 90_000, message: "the second Marathon to be elected" });
    const after = await waitFor(async () => {
      const r = await api(second.url, "GET", "/v2/info");
      return r.status === 200 && r.json.elected ? r.json : undefined;
    }, { timeoutMs: 30_000, message: "the new leader to serve" });
    expect(after.frameworkId).toBe(frameworkId);
    await waitFor(async () => (await api(second.url, "GET", "/v2/deployments")).json.length === 0, { timeoutMs: 120_000, message: "the new leader to finish the deployment" });
    const app = (await api(second.url, "GET", "/v2/apps/ha/web")).json.app;
    expect(app.tasksRunning).toBe(8);
    await waitFor(async () => (await masterTasks("ha_web.")).length === 8, { timeoutMs: 30_000, message: "exactly 8 running tasks at the master" });
    const running = await masterTasks("ha_web.");
    expect(new Set(running.map((t) => t.id))).toEqual(new Set(app.tasks.map((t: any) => t.id)));
    // Every running task is of the new version: the deployment really finished.
    expect(new Set(app.tasks.map((t: any) => t.version))).toEqual(new Set([app.version]));
    // One framework at the master: the new leader took over the old framework id.
    const frameworks = ((await (await fetch(`${masterUrl}/master/frameworks`)).json()) as any).frameworks as any[];
    expect(frameworks.filter((f) => f.name === "marathon").map((f) => f.id)).toEqual([frameworkId]);

    // The first Marathon comes back as a follower; DELETE /v2/leader (sent to it, proxied to the
    // leader) makes the leader step down, and the first one leads again, with the same tasks.
    await startMarathon(0);
    await waitFor(async () => (await api(first.url, "GET", "/v2/leader")).json?.leader === second.hostPort, { timeoutMs: 30_000, message: "the restarted Marathon to follow" });
    const abdicated = await api(first.url, "DELETE", "/v2/leader");
    expect(abdicated.status).toBe(200);
    expect(abdicated.json.message).toBe("Leadership abdicated");
    await waitFor(async () => (await api(first.url, "GET", "/v2/info")).json?.elected === true, { timeoutMs: 60_000, message: "the first Marathon to lead again" });
    await waitFor(async () => (await api(first.url, "GET", "/v2/apps/ha/web")).json.app.tasksRunning === 8, { timeoutMs: 60_000, message: "the new leader to see the 8 tasks" });
    expect((await masterTasks("ha_web.")).map((t) => t.id).sort()).toEqual(app.tasks.map((t: any) => t.id).sort());
  });
});
