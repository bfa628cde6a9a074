/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers from the API, checked by the assertions */
/**
 * REST contract tests against a real server and a real embedded store, without a master: what the
 * API accepts, answers and stores. Placement and tasks are covered by the cluster tests.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFileStore } from "@caravel/coordination";
import { parseSseFrames } from "@caravel/api";
import { silentLogger } from "@caravel/runtime";
import { MarathonConfig } from "../config.js";
import { createServer, type MarathonServer } from "../server.js";

let dir: string;
let server: MarathonServer;
let base: string;

const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(base + path, { method, headers: { "content-type": "application/json", ...headers }, ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }) });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers, json };
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "marathon-api-"));
  const config = MarathonConfig.parse({ http_port: 0, master: "http://127.0.0.1:1" });
  server = createServer({ config, store: await createFileStore(dir), log: silentLogger(), connect: false });
  base = (await server.listen()).url;
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("/v2/apps", () => {
  it("creates an app: 201, Location, deployment header, defaults and deployment in the body", async () => {
    const r = await call("POST", "/v2/apps", { id: "web", cmd: "sleep 100", instances: 2 });
    expect(r.status).toBe(201);
    expect(r.headers.get("location")).toBe("/v2/apps/web");
    expect(r.headers.get("marathon-deployment-id")).toBe(r.json.deployments[0].id);
    expect(r.json).toMatchObject({ id: "/web", instances: 2, cpus: 1, mem: 128, tasksRunning: 0, tasksStaged: 0 });
    expect(r.json.portDefinitions[0].port).toBeGreaterThanOrEqual(10000);
    const dup = await call("POST", "/v2/apps", { id: "/web", cmd: "x" });
    expect(dup.status).toBe(409);
    expect(dup.json.message).toBe("An app with id [/web] already exists.");
  });

  it("answers the legacy form in the 1.5 form (Universe redis)", async () => {
    const r = await call("POST", "/v2/apps", { id: "redis", container: { type: "DOCKER", docker: { image: "redis:4.0", network: "BRIDGE", portMappings: [{ containerPort: 6379, labels: { VIP_0: "/redis:6379" } }] } } });
    expect(r.status).toBe(201);
    expect(r.json.networks).toEqual([{ mode: "container/bridge", labels: {} }]);
    expect(r.json.container.portMappings[0]).toMatchObject({ containerPort: 6379, hostPort: 0, labels: { VIP_0: "/redis:6379" } });
    expect(r.json.container.docker.network).toBeUndefined();
  });

  it("rejects bad input with 4xx naming the field, and stores nothing", async () => {
    const before = (await call("GET", "/v2/apps")).json.apps.length;
    const cases: [unknown, number, string][] = [
      [{ id: "/Bad_Id", cmd: "x" }, 422, "/id"],
      [{ id: "/neg", cmd: "x", instances: -1 }, 422, "/instances"],
      [{ id: "/op", cmd: "x", constraints: [["hostname", "NEVER"]] }, 422, "/constraints/0"],
      ["{not json", 400, "/"],
    ];
    for (const [body, status, path] of cases) {
      const r = await call("POST", "/v2/apps", body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.json.details[0].path).toBe(path);
    }
    expect((await call("POST", "/v2/apps", "x".repeat(2 * 1024 * 1024))).status).toBe(413);
    expect((await call("GET", "/v2/apps")).json.apps.length).toBe(before);
    expect((await call("GET", "/v2/apps/neg")).status).toBe(404);
  });

  it("locks an app while its deployment runs: 409 naming the deployment, force overrides", async () => {
    const first = await call("PUT", "/v2/apps/web", { instances: 3 });
    expect(first.status).toBe(409);
    expect(first.json.deployments[0].id).toBeTruthy();
    const forced = await call("PUT", "/v2/apps/web?force=true", { instances: 3 });
    expect(forced.status).toBe(200);
    expect(forced.json.deploymentId).toBeTruthy();
    const deployments = (await call("GET", "/v2/deployments")).json;
    expect(deployments.map((d: any) => d.id)).toContain(forced.json.deploymentId);
    const d = deployments.find((x: any) => x.id === forced.json.deploymentId);
    expect(d).toMatchObject({ affectedApps: ["/web"], currentStep: 1, totalSteps: 1, steps: [{ actions: [{ action: "ScaleApplication", app: "/web" }] }] });
  });

  it("keeps versions, filters by label, and serves groups", async () => {
    await call("PUT", "/v2/apps/web?force=true", { labels: { tier: "front" } });
    const versions = (await call("GET", "/v2/apps/web/versions")).json.versions;
    expect(versions.length).toBeGreaterThanOrEqual(3);
    const old = await call("GET", `/v2/apps/web/versions/${versions.at(-1)}`);
    expect(old.json.instances).toBe(2);
    expect((await call("GET", "/v2/apps?label=tier==front")).json.apps.map((a: any) => a.id)).toEqual(["/web"]);
    await call("POST", "/v2/groups", { id: "/prod", apps: [{ id: "api", cmd: "sleep 1" }, { id: "db", cmd: "sleep 1" }] });
    const group = (await call("GET", "/v2/groups/prod")).json;
    expect(group.apps.map((a: any) => a.id)).toEqual(["/prod/api", "/prod/db"]);
    const root = (await call("GET", "/v2/groups")).json;
    expect(root.groups.map((g: any) => g.id)).toContain("/prod");
  });

  it("cancels a deployment with rollback (DELETE) or plain (force=true → 202)", async () => {
    const r = await call("PUT", "/v2/apps/redis?force=true", { cpus: 0.5 });
    const plain = await call("DELETE", `/v2/deployments/${r.json.deploymentId}?force=true`);
    expect(plain.status).toBe(202);
    expect((await call("DELETE", `/v2/deployments/${r.json.deploymentId}`)).status).toBe(404);
  });
});

describe("/v2/events", () => {
  it("needs Accept: text/event-stream, then streams named events filtered by event_type", async () => {
    expect((await call("GET", "/v2/events")).status).toBe(405);
    const controller = new AbortController();
    const res = await fetch(`${base}/v2/events?event_type=api_post_event&event_type=deployment_info`, { headers: { accept: "text/event-stream" }, signal: controller.signal });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const reader = res.body!.getReader();
    let text = "";
    const created = call("POST", "/v2/apps", { id: "/events-probe", cmd: "sleep 1" });
    while (!(text.includes("event: api_post_event") && text.includes("event: deployment_info"))) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    await created;
    const frames = parseSseFrames(text);
    expect([...new Set(frames.map((f) => f.event))].sort()).toEqual(["api_post_event", "deployment_info"]);
    for (const f of frames) expect(JSON.parse(f.data).eventType).toBe(f.event);
    expect(JSON.parse(frames.find((f) => f.event === "api_post_event")!.data).appDefinition.id).toBe("/events-probe");
  });
});

describe("misc endpoints", () => {
  it("ping, info, leader, queue, metrics, explain", async () => {
    expect((await call("GET", "/ping")).json).toBe("pong");
    const info = (await call("GET", "/v2/info")).json;
    expect(info).toMatchObject({ name: "marathon", elected: true, http_config: { http_port: 0 } });
    expect((await call("GET", "/v2/leader")).json.leader).toMatch(/:\d+$/);
    const queue = (await call("GET", "/v2/queue")).json.queue;
    expect(queue.map((q: any) => q.app.id)).toContain("/web");
    const explain = (await call("GET", "/v2/queue/web/explain")).json;
    expect(explain).toMatchObject({ appId: "/web", agents: [] });
    expect(explain.summary).toMatch(/no offers received yet/);
    const metrics = await fetch(`${base}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/marathon_apps \d+/);
  });

  it("survives a restart: apps and deployments come back from the store", async () => {
    const before = (await call("GET", "/v2/apps")).json.apps.map((a: any) => a.id).sort();
    const deployments = (await call("GET", "/v2/deployments")).json.map((d: any) => d.id).sort();
    await server.close();
    const config = MarathonConfig.parse({ http_port: 0 });
    server = createServer({ config, store: await createFileStore(dir), log: silentLogger(), connect: false });
    base = (await server.listen()).url;
    expect((await call("GET", "/v2/apps")).json.apps.map((a: any) => a.id).sort()).toEqual(before);
    expect((await call("GET", "/v2/deployments")).json.map((d: any) => d.id).sort()).toEqual(deployments);
    void readFileSync;
  });
});
