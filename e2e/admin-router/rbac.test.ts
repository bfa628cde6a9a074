/**
 * The admin router in front of the real caravel-master, caravel-agent (simulated agents) and
 * caravel-marathon processes: a /team-a deployer deploys through the router, sees only /team-a in
 * Marathon, in Mesos state and in the event stream, and cannot touch /team-b. Every mutation is
 * audited.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, stopAllProcesses, useProcesses, waitFor } from "@caravel/testing";
import { startMarathonCluster, type MarathonCluster } from "../marathon/cluster.js";

const ROUTER = resolve(import.meta.dirname, "../../apps/admin-router/dist/main.js");
const PASSWORD = "e2e-admin-password";
let cluster: MarathonCluster;
let base: string;
let admin: string;
let deployer: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- responses are checked field by field
async function call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(base + path, { method, headers: { authorization: `token=${token}`, "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

async function login(uid: string, password: string): Promise<string> {
  const res = await fetch(`${base}/acs/api/v1/auth/login`, { method: "POST", body: JSON.stringify({ uid, password }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

// Registered at module level (hooks registered inside beforeAll are not run), and stopAllProcesses
// also ends the cluster's master, agent and Marathon, so that no process outlives this file.
const scope = useProcesses();
afterAll(() => stopAllProcesses(), 60_000);

const app = (id: string) => ({ id, cmd: "sleep 1000", cpus: 0.1, mem: 32, instances: 1 });

beforeAll(async () => {
  if (!existsSync(ROUTER)) throw new Error(`${ROUTER} does not exist: run pnpm --filter @caravel/admin-router build (or pnpm -r build)`);
  cluster = await startMarathonCluster({ agents: 2, resources: "cpus:4;mem:4096;disk:10000;ports:[31000-32000]" });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  await scope.start({
    name: "admin-router",
    command: process.execPath,
    args: [ROUTER, `--port=${port}`, `--work_dir=${join(mkdtempSync(join(tmpdir(), "ar-e2e-")), "router")}`, `--master=${cluster.masterUrl}`, `--marathon=${cluster.marathonUrl}`, `--admin_password=${PASSWORD}`, "--log_level=warn"],
    healthUrl: `${base}/health`,
  });
  admin = await login("admin", PASSWORD);
  expect((await call("PUT", "/acs/api/v1/users/deployer-a", admin, { password: "deployer-a-password" })).status).toBe(201);
  expect((await call("PUT", `/acs/api/v1/acls/${encodeURIComponent("caravel:service:/team-a")}/users/deployer-a/full`, admin)).status).toBe(204);
  deployer = await login("deployer-a", "deployer-a-password");
}, 180_000);

describe("RBAC through the admin router against real processes", () => {
  it("a /team-a deployer deploys under /team-a only and sees only /team-a in Marathon, Mesos state and events", async () => {
    expect((await call("POST", "/marathon/v2/apps", deployer, app("/team-a/web"))).status).toBe(201);
    const refused = await call("POST", "/marathon/v2/apps", deployer, app("/team-b/db"));
    expect(refused.status).toBe(403);
    expect(refused.json.message).toMatch(/deployer-a may not create caravel:service:\/team-b\/db/);
    expect((await call("POST", "/service/marathon/v2/apps", admin, app("/team-b/db"))).status).toBe(201);

    await waitFor(async () => {
      const { json } = await call("GET", "/mesos/master/state", admin);
      const tasks = (json.frameworks ?? []).flatMap((f: { tasks?: { state: string }[] }) => f.tasks ?? []);
      return tasks.filter((t: { state: string }) => t.state === "TASK_RUNNING").length === 2;
    }, { timeoutMs: 90_000, message: "both apps to run" });

    expect((await call("GET", "/marathon/v2/apps", deployer)).json.apps.map((a: { id: string }) => a.id)).toEqual(["/team-a/web"]);
    expect((await call("GET", "/marathon/v2/apps/team-b/db", deployer)).status).toBe(403);
    expect((await call("DELETE", "/marathon/v2/apps/team-b/db", deployer)).status).toBe(403);
    expect((await call("GET", "/marathon/v2/tasks", deployer)).json.tasks.map((t: { appId: string }) => t.appId)).toEqual(["/team-a/web"]);

    const state = (await call("GET", "/mesos/master/state", deployer)).json;
    const ids = state.frameworks.flatMap((f: { tasks?: { id: string }[] }) => (f.tasks ?? []).map((t) => t.id));
    expect(ids).toHaveLength(1);
    expect(ids[0]).toMatch(/^team-a_web\./);
    const adminIds = (await call("GET", "/mesos/master/state", admin)).json.frameworks.flatMap((f: { tasks?: unknown[] }) => f.tasks ?? []);
    expect(adminIds).toHaveLength(2);

    // Events: scale both apps; the deployer's stream carries /team-a only.
    const events = await fetch(`${base}/marathon/v2/events`, { headers: { authorization: `token=${deployer}`, accept: "text/event-stream" } });
    expect(events.status).toBe(200);
    const reader = events.body!.getReader();
    expect((await call("PUT", "/marathon/v2/apps/team-b/db", admin, { instances: 2 })).status).toBeLessThan(300);
    expect((await call("PUT", "/marathon/v2/apps/team-a/web", deployer, { instances: 2 })).status).toBeLessThan(300);
    let text = "";
    await waitFor(
      async () => {
        text += new TextDecoder().decode((await reader.read()).value);
        return text.includes("/team-a/web");
      },
      { timeoutMs: 60_000, message: "an event about /team-a/web" },
    );
    await reader.cancel();
    expect(text).not.toContain("/team-b");

    const audit = (await call("GET", "/acs/api/v1/audit?uid=deployer-a&path_prefix=/marathon", admin)).json.array;
    expect(audit.map((r: { method: string; status: number }) => `${r.method} ${r.status}`)).toEqual(expect.arrayContaining(["POST 201", "POST 403", "DELETE 403"]));
  }, 180_000);
});
