/* eslint-disable @typescript-eslint/no-explicit-any -- assertions read JSON bodies of many shapes */
/**
 * The package catalog through the admin router, the way a user reaches it: log in, then
 * /package/search, describe, install static-web, wait until Marathon has it running and healthy,
 * /package/list shows it, uninstall, gone. Marathon listens on this machine's non-loopback address
 * with --iam_url, so it refuses callers without a token: caravel-universe (on loopback, with no
 * service account) can only install because it forwards the user's token. The three real fixture
 * packages (legacy BRIDGE networking, duplicate keys) install into the same Marathon, which accepts
 * them; the real redis template, with its image pointed at the locally built redis, runs healthy.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cosmosType } from "@caravel/api";
import { binPath, freePort, requireImage, sharedFixtures, useProcesses, waitFor } from "../harness/index.js";

const ROUTER = resolve(import.meta.dirname, "../../apps/admin-router/dist/main.js");
const PASSWORD = "e2e-universe-password";
const ERROR = "application/vnd.dcos.package.error+json;charset=utf-8;version=v1";
const scope = useProcesses();
let router: string;
let universe: string;
let marathon: string;
let token: string;

function externalAddress(): string {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  throw new Error("this test needs a non-loopback IPv4 address on some interface (e.g. `ip addr add 192.0.2.2/24 dev eth0`)");
}

/** A Cosmos RPC at `base` (the router or caravel-universe itself), with the Go client's Accept list. */
async function rpc(base: string, path: string, kind: string, body: unknown, opts: { version?: number; auth?: string | undefined } = {}) {
  const res = await fetch(base + path, {
    method: "POST",
    headers: {
      "content-type": cosmosType("package", `${kind}-request`, 1),
      accept: `${cosmosType("package", `${kind}-response`, opts.version ?? 1)},${ERROR}`,
      ...(opts.auth ? { authorization: `token=${opts.auth}` } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get("content-type"), json: (await res.json()) as any };
}

/** Marathon through the router with the user's token. */
async function marathonApp(id: string): Promise<{ status: number; app?: any }> {
  const res = await fetch(`${router}/service/marathon/v2/apps${id}`, { headers: { authorization: `token=${token}` } });
  return { status: res.status, app: res.status === 200 ? ((await res.json()) as any).app : (await res.body?.cancel(), undefined) };
}

beforeAll(async () => {
  requireImage("local/static-web:1");
  // Host ports of its own: the tasks really bind them, and other e2e files' agents start at 31000.
  requireImage("local/caravel-redis:1");
  const ip = externalAddress();
  const dir = mkdtempSync(join(tmpdir(), "universe-router-e2e-"));
  const [routerPort, masterPort, agentPort, marathonPort, universePort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  router = `http://127.0.0.1:${routerPort}`;
  const master = `http://127.0.0.1:${masterPort}`;
  marathon = `http://${ip}:${marathonPort}`;
  universe = `http://127.0.0.1:${universePort}`;
  await scope.start({
    name: "admin-router",
    command: process.execPath,
    args: [ROUTER, `--port=${routerPort}`, `--work_dir=${join(dir, "router")}`, `--master=${master}`, `--marathon=${marathon}`, `--universe=${universe}`, `--admin_password=${PASSWORD}`, "--log_level=warn"],
    healthUrl: `${router}/health`,
  });
  await scope.start({
    name: "master",
    command: process.execPath,
    args: [binPath("master"), `--port=${masterPort}`, `--work_dir=${join(dir, "master")}`, "--allocation_interval=0.2", "--log_level=warn"],
    healthUrl: `${master}/health`,
  });
  await scope.start({
    name: "agent",
    command: process.execPath,
    args: [binPath("agent"), `--master=127.0.0.1:${masterPort}`, `--port=${agentPort}`, `--work_dir=${join(dir, "agent")}`, "--containerizers=mesos,docker", "--resources=cpus:8;mem:8192;disk:20000;ports:[33100-33199]", "--log_level=warn"],
  });
  // Marathon beyond loopback checks every caller's token against the router's IAM.
  await scope.start({
    name: "marathon",
    command: process.execPath,
    args: [binPath("marathon"), `--ip=${ip}`, `--http_port=${marathonPort}`, `--master=${master}`, `--work_dir=${join(dir, "marathon")}`, `--iam_url=${router}`, "--log_level=warn"],
    healthUrl: `${marathon}/ping`,
  });
  await scope.start({
    name: "universe",
    command: process.execPath,
    args: [binPath("universe"), `--port=${universePort}`, `--marathon=${marathon}`, `--master=${master}`, `--work_dir=${join(dir, "universe")}`, "--log_level=warn"],
    healthUrl: `${universe}/health`,
  });
  const login = await fetch(`${router}/acs/api/v1/auth/login`, { method: "POST", body: JSON.stringify({ uid: "admin", password: PASSWORD }) });
  expect(login.status, await login.clone().text()).toBe(200);
  token = ((await login.json()) as { token: string }).token;
  await waitFor(async () => ((await (await fetch(`${router}/service/marathon/v2/info`, { headers: { authorization: `token=${token}` } })).json()) as { frameworkId?: string }).frameworkId, {
    timeoutMs: 60_000,
    message: "Marathon to subscribe to the master",
  });
}, 180_000);

describe("the catalog through the admin router", () => {
  it("without a token the router refuses; caravel-universe called with no token cannot install (Marathon wants one)", async () => {
    expect((await rpc(router, "/package/search", "search", {})).status).toBe(401);
    const direct = await rpc(universe, "/package/install", "install", { packageName: "static-web" }, { version: 2 });
    expect(direct).toMatchObject({ status: 401, type: ERROR, json: { type: "Unauthorized" } });
  });

  it("search → describe → install static-web (no options) → running and healthy → listed → uninstall → gone", async () => {
    const search = await rpc(router, "/package/search", "search", { query: "web" }, { auth: token });
    expect(search.status).toBe(200);
    expect(search.type).toBe(cosmosType("package", "search-response", 1));
    expect(search.json.packages[0]).toMatchObject({ name: "static-web", selected: true });

    const described = await rpc(router, "/package/describe", "describe", { packageName: "static-web" }, { version: 3, auth: token });
    expect(described.json.package).toMatchObject({ name: "static-web", config: { type: "object" }, resource: { images: { "icon-small": expect.stringMatching(/^data:image/) } } });

    const installed = await rpc(router, "/package/install", "install", { packageName: "static-web" }, { version: 2, auth: token });
    expect(installed.status, JSON.stringify(installed.json)).toBe(200);
    expect(installed.json).toMatchObject({ packageName: "static-web", packageVersion: "1.0.0", appId: "/static-web" });

    const app = await waitFor(async () => {
      const { app } = await marathonApp("/static-web");
      return app?.tasksHealthy === 1 ? app : undefined;
    }, { timeoutMs: 90_000, message: "static-web to be running and healthy in Marathon" });
    expect(app.labels).toMatchObject({ DCOS_PACKAGE_NAME: "static-web", DCOS_PACKAGE_VERSION: "1.0.0" });
    expect(app.portDefinitions[0].labels.VIP_0).toBe("/static-web:80");
    expect(await (await fetch(`http://${app.tasks[0].host}:${app.tasks[0].ports[0]}/`)).text()).toContain("Hello from Caravel");

    const listed = await rpc(router, "/package/list", "list", {}, { auth: token });
    expect(listed.json.packages.map((p: any) => [p.appId, p.packageInformation.packageDefinition.name])).toEqual([["/static-web", "static-web"]]);

    const removed = await rpc(router, "/package/uninstall", "uninstall", { packageName: "static-web" }, { auth: token });
    expect(removed.json).toEqual({ results: [{ packageName: "static-web", appId: "/static-web", packageVersion: "1.0.0", postUninstallNotes: "static-web was removed." }] });
    // Uninstall answers once Marathon has forgotten the app: no polling needed here.
    expect((await marathonApp("/static-web")).status).toBe(404);
    expect((await rpc(router, "/package/list", "list", {}, { auth: token })).json.packages).toEqual([]);
  }, 180_000);

  it("the three real fixture packages install into the checking Marathon, which accepts them; uninstall all", async () => {
    const added = await rpc(router, "/package/repository/add", "repository.add", { name: "fixtures", uri: `${sharedFixtures}/universe`, index: 0 }, { auth: token });
    expect(added.status, JSON.stringify(added.json)).toBe(200);
    expect(added.json.repositories.find((r: any) => r.name === "fixtures").errors).toEqual([]);
    for (const [name, appId] of [["httpbin", "/httpbin"], ["nginx", "/nginx"], ["redis", "/redis"]] as const) {
      const installed = await rpc(router, "/package/install", "install", { packageName: name }, { version: 2, auth: token });
      expect(installed.status, `${name}: ${JSON.stringify(installed.json)}`).toBe(200);
      expect(installed.json.appId).toBe(appId);
      const { app } = await marathonApp(appId);
      expect(app.labels.DCOS_PACKAGE_NAME, name).toBe(name);
      expect(app.container.docker.image, name).toBe({ httpbin: "citizenstig/httpbin:latest", nginx: "nginx:1.8.1", redis: "redis:4.0" }[name]);
    }
    const listed = await rpc(router, "/package/list", "list", {}, { auth: token });
    expect(listed.json.packages.map((p: any) => p.appId)).toEqual(["/httpbin", "/nginx", "/redis"]);
    for (const name of ["httpbin", "nginx", "redis"]) {
      expect((await rpc(router, "/package/uninstall", "uninstall", { packageName: name, all: true }, { auth: token })).status).toBe(200);
    }
    expect((await rpc(router, "/package/list", "list", {}, { auth: token })).json.packages).toEqual([]);
    expect((await rpc(router, "/package/repository/delete", "repository.delete", { name: "fixtures" }, { auth: token })).status).toBe(200);
  }, 180_000);

  it("the real redis template (legacy BRIDGE networking, VIP in portMappings) with the local redis image runs healthy", async () => {
    const repo = mkdtempSync(join(tmpdir(), "universe-redis-local-"));
    const release = join(repo, "packages", "redis", "2");
    cpSync(join(sharedFixtures, "universe/packages/redis/2"), release, { recursive: true });
    const resource = JSON.parse(readFileSync(join(release, "resource.json"), "utf8"));
    resource.assets.container.docker.redis = "local/caravel-redis:1";
    writeFileSync(join(release, "resource.json"), JSON.stringify(resource));
    expect((await rpc(router, "/package/repository/add", "repository.add", { name: "redis-local", uri: repo, index: 0 }, { auth: token })).status).toBe(200);
    const installed = await rpc(router, "/package/install", "install", { packageName: "redis", appId: "/cache/redis" }, { version: 2, auth: token });
    expect(installed.status, JSON.stringify(installed.json)).toBe(200);
    const app = await waitFor(async () => {
      const { app } = await marathonApp("/cache/redis");
      return app?.tasksHealthy === 1 ? app : undefined;
    }, { timeoutMs: 90_000, message: "the fixture redis (bridge networking) to be running and healthy" });
    expect(app.container.portMappings[0]).toMatchObject({ containerPort: 6379, labels: { VIP_0: "/redis:6379" } });
    expect((await rpc(router, "/package/uninstall", "uninstall", { packageName: "redis", appId: "/cache/redis" }, { auth: token })).json.results[0].appId).toBe("/cache/redis");
    expect((await marathonApp("/cache/redis")).status).toBe(404);
  }, 180_000);
});
