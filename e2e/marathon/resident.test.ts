/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers from the API, checked by the assertions */
/**
 * Resident apps on real tasks: caravel-master, two caravel-agents running process and Docker tasks, and
 * caravel-marathon. A resident app's task writes into its persistent volume; when the task is killed
 * it comes back on the same agent (the one holding its reservation) and finds its data; deleting the
 * app destroys the volume (its directory goes) and gives the reserved resources back.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binPath, freePort, useProcesses, waitFor } from "@caravel/testing";

const scope = useProcesses();
const dir = mkdtempSync(join(tmpdir(), "marathon-resident-"));
let masterUrl = "";
let marathonUrl = "";
const agentDirs: string[] = [];

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(marathonUrl + path, { method, headers: { "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  const masterPort = await freePort();
  masterUrl = `http://127.0.0.1:${masterPort}`;
  await scope.start({
    name: "master",
    command: process.execPath,
    args: [binPath("master"), `--port=${masterPort}`, `--work_dir=${join(dir, "master")}`, "--allocation_interval=0.2", "--log_level=warn"],
    healthUrl: `${masterUrl}/health`,
  });
  for (const name of ["agent-a", "agent-b"]) {
    const port = await freePort();
    const workDir = join(dir, name);
    agentDirs.push(workDir);
    await scope.start({
      name,
      command: process.execPath,
      args: [binPath("agent"), `--master=127.0.0.1:${masterPort}`, `--port=${port}`, `--hostname=${name}`, `--work_dir=${workDir}`, "--containerizers=docker,mesos", "--resources=cpus:2;mem:1024;disk:2000;ports:[31000-31099]", "--cleanup_on_exit", "--log_level=warn"],
    });
  }
  await waitFor(async () => ((await (await fetch(`${masterUrl}/master/slaves`)).json()) as { slaves: unknown[] }).slaves.length === 2, { timeoutMs: 60_000, message: "2 agents to register" });
  const marathonPort = await freePort();
  marathonUrl = `http://127.0.0.1:${marathonPort}`;
  await scope.start({
    name: "marathon",
    command: process.execPath,
    args: [binPath("marathon"), `--http_port=${marathonPort}`, `--master=${masterUrl}`, `--work_dir=${join(dir, "marathon")}`, "--log_level=warn"],
    healthUrl: `${marathonUrl}/ping`,
  });
  await waitFor(async () => (await api("GET", "/v2/info")).json.frameworkId, { message: "Marathon to subscribe to the master" });
}, 120_000);

afterAll(() => scope.stopAll());

/** The volume directories of the app on an agent (`<work_dir>/volumes/roles/<role>/<id>`). */
const volumeDirs = (agentDir: string, role = "slave_public"): string[] => {
  const root = join(agentDir, "volumes", "roles", role);
  return existsSync(root) ? readdirSync(root).map((d) => join(root, d)) : [];
};

describe("resident apps with local persistent volumes", () => {
  it("relaunch on the agent holding the volume, keep its data, and give it back on delete", { timeout: 180_000 }, async () => {
    const app = {
      id: "/stateful/db",
      // Each run appends a line to the volume, so the second run proves it saw the first one's file.
      cmd: "echo run >> data/runs && sleep 1000",
      cpus: 0.2,
      mem: 32,
      instances: 1,
      container: { type: "MESOS", volumes: [{ containerPath: "data", mode: "RW", persistent: { type: "root", size: 16 } }] },
      residency: { relaunchEscalationTimeoutSeconds: 3600, taskLostBehavior: "WAIT_FOREVER" },
      upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 },
    };
    const created = await api("POST", "/v2/apps", app);
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const first = await waitFor(async () => (await api("GET", "/v2/apps/stateful/db")).json.app.tasks.find((t: any) => t.state === "TASK_RUNNING"), {
      timeoutMs: 60_000,
      message: "the resident task to run",
    });

    // The master sees the reservation (Marathon's labels) and the volume on the agent that runs it.
    const slaves = (await (await fetch(`${masterUrl}/master/slaves`)).json()) as any;
    const holder = slaves.slaves.find((s: any) => s.id === first.slaveId);
    expect(holder.hostname).toBe(first.host);
    expect(first.localVolumes).toEqual([{ containerPath: "data", persistenceId: expect.stringMatching(/^stateful_db\.instance-.*\.data$/) }]);
    expect(holder.reserved_resources.slave_public).toMatchObject({ cpus: 0.2, mem: 32, disk: 16 });
    const agentDir = agentDirs[holder.hostname === "agent-a" ? 0 : 1]!;
    const [volume] = await waitFor(async () => {
      const dirs = volumeDirs(agentDir);
      return dirs.length === 1 && existsSync(join(dirs[0]!, "runs")) ? dirs : undefined;
    }, { message: () => `the task to write into its volume: ${JSON.stringify({ agentDir, a: volumeDirs(agentDirs[0]!), b: volumeDirs(agentDirs[1]!), first })}` });
    expect(readFileSync(join(volume!, "runs"), "utf8")).toBe("run\n");
    expect(volumeDirs(agentDirs[holder.hostname === "agent-a" ? 1 : 0]!)).toEqual([]);

    // Kill the task (no scale): it comes back on the same agent, over the same volume.
    expect((await api("DELETE", `/v2/apps/stateful/db/tasks/${first.id}`)).status).toBe(200);
    const second = await waitFor(async () => (await api("GET", "/v2/apps/stateful/db")).json.app.tasks.find((t: any) => t.state === "TASK_RUNNING" && t.id !== first.id), {
      timeoutMs: 90_000,
      message: "the resident task to relaunch",
    });
    expect(second.slaveId).toBe(first.slaveId);
    expect(second.localVolumes).toEqual(first.localVolumes);
    await waitFor(async () => readFileSync(join(volume!, "runs"), "utf8") === "run\nrun\n", { message: "the relaunched task to append to the same volume" });

    // Deleting the app kills it, destroys the volume and unreserves.
    await waitFor(async () => (await api("GET", "/v2/apps/stateful/db")).json.app.deployments.length === 0, { timeoutMs: 60_000, message: "the deployment to finish" });
    expect((await api("DELETE", "/v2/apps/stateful/db")).status).toBe(200);
    await waitFor(async () => !existsSync(volume!), { timeoutMs: 60_000, message: "the volume directory to be removed" });
    await waitFor(
      async () => {
        const s = (await (await fetch(`${masterUrl}/master/slaves`)).json()) as any;
        const agent = s.slaves.find((x: any) => x.id === first.slaveId);
        return agent.reserved_resources.slave_public === undefined || agent.reserved_resources.slave_public.cpus === 0;
      },
      { timeoutMs: 30_000, message: "the reservation to be given back" },
    );
  });

  it("scale up reserves a new volume per instance; scale down destroys the surplus ones", { timeout: 180_000 }, async () => {
    const app = {
      id: "/stateful/kv",
      cmd: "echo $MESOS_TASK_ID >> data/owner && sleep 1000",
      cpus: 0.1,
      mem: 16,
      instances: 1,
      container: { type: "MESOS", volumes: [{ containerPath: "data", mode: "RW", persistent: { size: 8 } }] },
      upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 },
    };
    const allVolumes = () => agentDirs.flatMap((d) => volumeDirs(d)).filter((v) => v.includes("stateful_kv"));
    const settled = () => waitFor(async () => (await api("GET", "/v2/apps/stateful/kv")).json.app.deployments.length === 0, { timeoutMs: 90_000, message: "the deployment to finish" });
    expect((await api("POST", "/v2/apps", app)).status).toBe(201);
    await settled();
    expect((await api("PUT", "/v2/apps/stateful/kv", { ...app, instances: 3 })).status).toBe(200);
    await settled();
    const running = await waitFor(async () => {
      const tasks = (await api("GET", "/v2/apps/stateful/kv")).json.app.tasks.filter((t: any) => t.state === "TASK_RUNNING");
      return tasks.length === 3 ? tasks : undefined;
    }, { timeoutMs: 60_000, message: "3 running instances" });
    await waitFor(async () => allVolumes().length === 3 && allVolumes().every((v) => existsSync(join(v, "owner"))), { message: "one written volume per instance" });
    expect((await api("PUT", "/v2/apps/stateful/kv", { ...app, instances: 1 })).status).toBe(200);
    await settled();
    await waitFor(async () => allVolumes().length === 1, { timeoutMs: 60_000, message: "the 2 surplus volumes to be destroyed" });
    // The volume left is the one of the instance that still runs.
    const [kept] = (await api("GET", "/v2/apps/stateful/kv")).json.app.tasks;
    expect(running.map((t: any) => t.id)).toContain(kept.id);
    expect(readFileSync(join(allVolumes()[0]!, "owner"), "utf8").trim()).toBe(kept.id);
    expect((await api("DELETE", "/v2/apps/stateful/kv")).status).toBe(200);
    await waitFor(async () => allVolumes().length === 0, { timeoutMs: 60_000, message: "the last volume to be destroyed" });
  });

  it("a resident task that fails relaunches after its backoff on the same agent and volume", { timeout: 180_000 }, async () => {
    const app = {
      id: "/stateful/flaky",
      // Fails on its first two runs, then stays up: each run leaves a line in the volume.
      cmd: "echo run >> data/runs; [ $(wc -l < data/runs) -ge 3 ] || exit 1; sleep 1000",
      cpus: 0.1,
      mem: 16,
      backoffSeconds: 1,
      container: { type: "MESOS", volumes: [{ containerPath: "data", mode: "RW", persistent: { size: 8 } }] },
      upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 },
    };
    expect((await api("POST", "/v2/apps", app)).status).toBe(201);
    const task = await waitFor(async () => (await api("GET", "/v2/apps/stateful/flaky")).json.app.tasks.find((t: any) => t.state === "TASK_RUNNING" && t.id.endsWith("._app.1")), {
      timeoutMs: 90_000,
      message: "the third run to stay up",
    });
    const volume = await waitFor(async () => agentDirs.flatMap((d) => volumeDirs(d)).find((v) => v.includes("stateful_flaky") && existsSync(join(v, "runs")) && readFileSync(join(v, "runs"), "utf8") === "run\nrun\nrun\n"), {
      timeoutMs: 60_000,
      message: "three runs recorded in one volume",
    });
    expect(volume).toContain(task.host === "agent-a" ? "agent-a" : "agent-b");
    expect(agentDirs.flatMap((d) => volumeDirs(d)).filter((v) => v.includes("stateful_flaky"))).toHaveLength(1);
    expect((await api("DELETE", "/v2/apps/stateful/flaky?force=true")).status).toBe(200);
    await waitFor(async () => !existsSync(volume), { timeoutMs: 60_000, message: "the volume to be destroyed" });
  });

  it("a Docker resident task finds its volume's data again after a relaunch", { timeout: 180_000 }, async () => {
    const app = {
      id: "/stateful/box",
      cmd: "echo run >> data/runs && sleep 1000",
      cpus: 0.1,
      mem: 32,
      container: { type: "DOCKER", docker: { image: "local/busybox:1" }, volumes: [{ containerPath: "data", mode: "RW", persistent: { size: 8 } }] },
      upgradeStrategy: { minimumHealthCapacity: 0, maximumOverCapacity: 0 },
    };
    const posted = await api("POST", "/v2/apps", app);
    expect(posted.status, JSON.stringify(posted.json)).toBe(201);
    const running = () => api("GET", "/v2/apps/stateful/box").then((r) => r.json.app.tasks.find((t: any) => t.state === "TASK_RUNNING"));
    const first = await waitFor(running, { timeoutMs: 90_000, message: "the Docker resident task to run (needs local/busybox:1: bash scripts/build-images)" });
    const volume = await waitFor(async () => agentDirs.flatMap((d) => volumeDirs(d)).find((v) => v.includes("stateful_box") && existsSync(join(v, "runs"))), { message: "the container to write into its volume" });
    expect((await api("DELETE", `/v2/apps/stateful/box/tasks/${first.id}`)).status).toBe(200);
    const second = await waitFor(async () => {
      const t = await running();
      return t && t.id !== first.id ? t : undefined;
    }, { timeoutMs: 90_000, message: "the Docker resident task to relaunch" });
    expect(second.slaveId).toBe(first.slaveId);
    await waitFor(async () => readFileSync(join(volume, "runs"), "utf8") === "run\nrun\n", { message: "the relaunched container to append to the same volume" });
    expect((await api("DELETE", "/v2/apps/stateful/box?force=true")).status).toBe(200);
    await waitFor(async () => !existsSync(volume), { timeoutMs: 60_000, message: "the volume to be destroyed" });
  });
});
