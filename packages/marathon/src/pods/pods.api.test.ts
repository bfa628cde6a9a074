/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers from the API, checked by the assertions */
/**
 * `/v2/pods` contract against a real server and a real embedded store, without a master: what the
 * API accepts, answers, stores and deploys. Launching on agents is covered by e2e/marathon/pods.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFileStore } from "@caravel/coordination";
import { silentLogger } from "@caravel/runtime";
import { MarathonConfig } from "../config.js";
import { createServer, type MarathonServer } from "../server.js";

const FIX = process.env["CARAVEL_SHARED_FIXTURES"] ?? fileURLToPath(new URL("../../../../../shared/fixtures", import.meta.url));
let dir: string;
let server: MarathonServer;
let base: string;
const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(base + path, { method, headers: { "content-type": "application/json" }, ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }) });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers, json };
};
const start = async () => {
  const config = MarathonConfig.parse({ http_port: 0, master: "http://127.0.0.1:1" });
  server = createServer({ config, store: await createFileStore(dir), log: silentLogger(), connect: false });
  base = (await server.listen()).url;
};
const web = {
  id: "/shop/web",
  labels: { tier: "front" },
  containers: [
    { name: "server", resources: { cpus: 0.1, mem: 32 }, exec: { command: { shell: "httpd -f -p $ENDPOINT_HTTP" } }, endpoints: [{ name: "http", hostPort: 0 }], healthCheck: { http: { endpoint: "http", path: "/" } } },
    { name: "sidecar", resources: { cpus: 0.1, mem: 32 }, exec: { command: { shell: "sleep 1000" } } },
  ],
  scaling: { kind: "fixed", instances: 2 },
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "marathon-pods-"));
  await start();
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("/v2/pods", () => {
  it("creates a pod: 201, Location, deployment header, Marathon's defaults; a second POST is 409", async () => {
    const r = await call("POST", "/v2/pods", web);
    expect(r.status).toBe(201);
    expect(r.headers.get("location")).toBe("/v2/pods/shop/web");
    expect(r.headers.get("marathon-deployment-id")).toBeTruthy();
    expect(r.json).toMatchObject({ id: "/shop/web", scaling: { kind: "fixed", instances: 2 }, executorResources: { cpus: 0.1, mem: 32, disk: 10 }, networks: [{ mode: "host" }] });
    expect(r.json.version).toMatch(/^\d{4}-/);
    expect((await call("POST", "/v2/pods", web)).status).toBe(409);
    expect((await call("GET", "/v2/pods")).json.map((p: any) => p.id)).toEqual(["/shop/web"]);
    expect((await call("GET", "/v2/pods/shop/web")).json.containers.map((c: any) => c.name)).toEqual(["server", "sidecar"]);
    expect((await call("HEAD", "/v2/pods")).status).toBe(200);
  });

  it("deploys pods with the apps' machinery: /v2/deployments lists affectedPods and pod actions", async () => {
    const deployments = (await call("GET", "/v2/deployments")).json as any[];
    const d = deployments.find((x) => x.affectedPods.includes("/shop/web"));
    expect(d).toMatchObject({ affectedApps: [], affectedPods: ["/shop/web"], steps: [{ actions: [{ action: "StartPod", pod: "/shop/web" }] }, { actions: [{ action: "ScalePod", pod: "/shop/web" }] }] });
  });

  it("shows the pod in its group and, waiting for offers, in the launch queue with explain", async () => {
    const group = (await call("GET", "/v2/groups/shop")).json;
    expect(group.pods.map((p: any) => p.id)).toEqual(["/shop/web"]);
    const item = (await call("GET", "/v2/queue")).json.queue.find((q: any) => q.pod?.id === "/shop/web");
    expect(item).toMatchObject({ count: 2, delay: { overdue: true } });
    expect(item.app).toBeUndefined();
    expect((await call("GET", "/v2/queue/shop/web/explain")).json).toMatchObject({ appId: "/shop/web", agents: [] });
  });

  it("announces changes on the event stream (pod_created_event, deployment_info with pod actions)", async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}/v2/events?event_type=pod_created_event&event_type=deployment_info`, { headers: { accept: "text/event-stream" }, signal: controller.signal });
    const reader = res.body!.getReader();
    let text = "";
    const posted = call("POST", "/v2/pods", { id: "/events-probe", containers: [{ name: "a", exec: { command: { shell: "sleep 1000" } } }] });
    while (!(text.includes("event: pod_created_event") && text.includes("event: deployment_info"))) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    expect((await posted).status).toBe(201);
    expect(text).toContain('"uri":"/v2/pods/events-probe"');
    expect(text).toContain('{"action":"StartPod","pod":"/events-probe"}');
    expect((await call("DELETE", "/v2/pods/events-probe?force=true")).status).toBe(202);
  });

  it("serves ::status (DEGRADED while no instance runs) and ::status of every pod", async () => {
    const s = (await call("GET", "/v2/pods/shop/web::status")).json;
    expect(s).toMatchObject({ id: "/shop/web", status: "DEGRADED", instances: [], spec: { id: "/shop/web" } });
    const all = (await call("GET", "/v2/pods/::status")).json;
    expect(all.map((x: any) => x.id)).toEqual(["/shop/web"]);
  });

  it("scales by PUT (locked → 409, force → 200), keeps versions", async () => {
    const scaled = { ...web, scaling: { kind: "fixed", instances: 3 } };
    const locked = await call("PUT", "/v2/pods/shop/web", scaled);
    expect(locked.status).toBe(409);
    const forced = await call("PUT", "/v2/pods/shop/web?force=true", scaled);
    expect(forced.status).toBe(200);
    expect(forced.json.scaling.instances).toBe(3);
    const deployments = (await call("GET", "/v2/deployments")).json as any[];
    expect(deployments.find((x) => x.id === forced.headers.get("marathon-deployment-id")).steps).toEqual([{ actions: [{ action: "ScalePod", pod: "/shop/web" }] }]);
    const versions = (await call("GET", "/v2/pods/shop/web::versions")).json as string[];
    expect(versions.length).toBe(2);
    expect((await call("GET", `/v2/pods/shop/web::versions/${versions.at(-1)}`)).json.scaling.instances).toBe(2);
    const restart = await call("PUT", "/v2/pods/shop/web?force=true", { ...scaled, containers: [{ ...web.containers[0], resources: { cpus: 0.2, mem: 32 } }, web.containers[1]] });
    const d = ((await call("GET", "/v2/deployments")).json as any[]).find((x) => x.id === restart.headers.get("marathon-deployment-id"));
    expect(d.steps).toEqual([{ actions: [{ action: "RestartPod", pod: "/shop/web" }] }]);
  });

  it("rejects bad input with 4xx naming the field, and stores nothing", async () => {
    const cases: [unknown, number, string][] = [
      [{ id: "/Bad", containers: web.containers }, 422, "/id"],
      [{ id: "/p1", containers: [] }, 422, "/containers"],
      [{ id: "/p2", scaling: { instances: -1 }, containers: web.containers }, 422, "/scaling/instances"],
      [{ id: "/p3", containers: [{ name: "a", exec: { command: { shell: "x" } }, endpoints: [{ name: "e" }] }] }, 422, "/containers/0/endpoints/0/hostPort"],
      [{ id: "/p4", scheduling: { placement: { constraints: [{ fieldName: "hostname", operator: "SOMETIMES" }] } }, containers: web.containers }, 422, "/scheduling/placement/constraints/0"],
      ["{nope", 400, "/"],
    ];
    for (const [body, status, path] of cases) {
      const r = await call("POST", "/v2/pods", body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.json.details[0].path).toBe(path);
    }
    expect((await call("PUT", "/v2/pods/shop/web?force=true", { ...web, id: "/other" })).status).toBe(422);
    expect((await call("GET", "/v2/pods")).json.map((p: any) => p.id)).toEqual(["/shop/web"]);
    expect((await call("GET", "/v2/pods/p1")).status).toBe(404);
    expect((await call("DELETE", "/v2/pods/shop/web::instances/nope.instance-1")).status).toBe(404);
    // Apps and pods share one namespace.
    expect((await call("POST", "/v2/apps", { id: "/shop/web", cmd: "sleep 1" })).status).toBe(409);
    expect((await call("GET", "/v2/apps")).json.apps).toEqual([]);
  });

  it("rolls a pod back when its deployment is deleted", async () => {
    await call("POST", "/v2/pods", { id: "/rb", containers: [{ name: "a", exec: { command: { shell: "sleep 1000" } } }] });
    const scaled = await call("PUT", "/v2/pods/rb?force=true", { containers: [{ name: "a", exec: { command: { shell: "sleep 1000" } } }], scaling: { instances: 5 } });
    expect(scaled.json.scaling.instances).toBe(5);
    const rollback = await call("DELETE", `/v2/deployments/${scaled.headers.get("marathon-deployment-id")}`);
    expect(rollback.status).toBe(200);
    expect((await call("GET", "/v2/pods/rb")).json.scaling.instances).toBe(1);
    expect((await call("DELETE", "/v2/pods/rb?force=true")).status).toBe(202);
  });

  it("accepts Marathon's pod.json example", async () => {
    const example = JSON.parse(readFileSync(`${FIX}/marathon/examples/pod.json`, "utf8"));
    const r = await call("PUT", "/v2/pods/foo", example);
    expect(r.status).toBe(201);
    expect(r.json.containers[0].healthCheck.http.endpoint).toBe("httpendpoint");
  });

  it("survives a restart, then deletes (202 + deployment) and forgets the pod", async () => {
    await server.close();
    await start();
    expect((await call("GET", "/v2/pods")).json.map((p: any) => p.id)).toEqual(["/foo", "/shop/web"]);
    expect((await call("GET", "/v2/pods/shop/web")).json.scaling.instances).toBe(3);
    const del = await call("DELETE", "/v2/pods/shop/web?force=true");
    expect(del.status).toBe(202);
    expect(del.headers.get("marathon-deployment-id")).toBeTruthy();
    expect((await call("GET", "/v2/pods/shop/web")).status).toBe(404);
    expect((await call("GET", "/v2/apps")).json.apps).toEqual([]);
  });
});
