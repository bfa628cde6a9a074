/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers from the API, checked by the assertions */
/**
 * Master failover in the middle of a Marathon deployment: 3 masters + a ZooKeeper ensemble (started by
 * `caravel-launch up --ha`), agents as separate hosts in network namespaces, and caravel-marathon given
 * every master. kill -9 of the leading master while Marathon rolls an app: Marathon follows the new
 * leader (same framework id) and the deployment completes with the right instance count, every
 * task of the new version, none lost or duplicated.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { binPath, freePort, useProcesses, waitFor } from "@caravel/testing";
import { leaderOf, masterState, startHaCluster, type HaCluster } from "./cluster.js";

let cluster: HaCluster | undefined;
const scope = useProcesses();
afterAll(async () => {
  await scope.stopAll();
  await cluster?.stop();
}, 120_000);

async function api(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(base + path, { method, headers: { "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

describe("Marathon through a master failover", () => {
  it("finishes a rolling restart after kill -9 of the leading master", { timeout: 300_000 }, async () => {
    binPath("master");
    binPath("agent");
    binPath("launcher");
    cluster = await startHaCluster({ agents: 3, masterFlags: "--agent_reregister_timeout 60" });
    const urls = cluster.masters.map((m) => m.url);
    let leader = await waitFor(() => leaderOf(urls), { timeoutMs: 60_000, message: "a leading master" });
    await waitFor(async () => (await masterState(leader)).slaves.filter((s) => s.active).length === 3, { timeoutMs: 60_000, message: "3 agents" });

    const port = await freePort();
    const marathon = `http://127.0.0.1:${port}`;
    await scope.start({
      name: "marathon",
      command: process.execPath,
      args: [binPath("marathon"), `--http_port=${port}`, `--master=${urls.join(",")}`, `--work_dir=${mkdtempSync(join(tmpdir(), "marathon-failover-"))}`, "--log_level=warn", "--reconciliation_interval=5000"],
      healthUrl: `${marathon}/ping`,
    });
    const frameworkId = await waitFor(async () => (await api(marathon, "GET", "/v2/info")).json.frameworkId, { timeoutMs: 60_000, message: "Marathon to subscribe" });

    const v1 = {
      id: "/failover/web",
      cmd: "sleep 1000",
      cpus: 0.1,
      mem: 16,
      instances: 6,
      // Old tasks ignore SIGTERM and linger for the grace period: the rolling restart takes a while.
      labels: { CARAVEL_SIM_IGNORE_TERM: "true" },
      taskKillGracePeriodSeconds: 3,
      upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 },
    };
    expect((await api(marathon, "POST", "/v2/apps", v1)).status).toBe(201);
    await waitFor(async () => (await api(marathon, "GET", "/v2/apps/failover/web")).json.app.deployments.length === 0, { timeoutMs: 90_000, message: "the first deployment" });

    const put = await api(marathon, "PUT", "/v2/apps/failover/web", { ...v1, env: { VERSION: "2" } });
    expect(put.status).toBe(200);
    expect(((await api(marathon, "GET", "/v2/deployments")).json as any[]).map((d) => d.id)).toContain(put.json.deploymentId);
    const pid = cluster.masterPid(leader);
    expect(pid).toBeDefined();
    process.kill(pid!, "SIGKILL");
    const old = leader;
    leader = await waitFor(async () => {
      const l = await leaderOf(urls);
      return l && l !== old ? l : undefined;
    }, { timeoutMs: 90_000, message: `a new leading master after kill -9 of ${old}` });

    await waitFor(async () => ((await api(marathon, "GET", "/v2/deployments")).json as any[]).length === 0, { timeoutMs: 180_000, message: "Marathon to finish the deployment on the new leader" });
    const app = (await api(marathon, "GET", "/v2/apps/failover/web")).json.app;
    expect(app.tasksRunning).toBe(6);
    expect(new Set(app.tasks.map((t: any) => t.version))).toEqual(new Set([app.version]));
    expect((await api(marathon, "GET", "/v2/info")).json.frameworkId).toBe(frameworkId);
    // The new leader knows exactly these tasks of Marathon's framework as running: none lost, none extra.
    const running = await waitFor(async () => {
      const s = await masterState(leader);
      const tasks = s.frameworks.filter((f) => f.id === frameworkId).flatMap((f) => f.tasks).filter((t) => t.state === "TASK_RUNNING" && t.id.startsWith("failover_web."));
      return tasks.length === 6 ? tasks : undefined;
    }, { timeoutMs: 60_000, message: "the new leading master to see exactly 6 running tasks" });
    expect(new Set(running.map((t) => t.id))).toEqual(new Set(app.tasks.map((t: any) => t.id)));
  });
});
