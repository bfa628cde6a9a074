import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:net";
import { WebSocket } from "ws";
import { KeySet, issueToken } from "@caravel/auth";
import { silentLogger } from "@caravel/runtime";
import { RouterConfig } from "./config.js";
import { createServer, type AdminRouter } from "./server.js";
import { createDirStore } from "./store/store.js";
import { json, mesosState, startBackend, startEchoService, taskId, type Backend } from "./testkit/backends.js";

const PASSWORD = "correct-horse-battery";
let dir: string;
let router: AdminRouter;
let base: string;
let masterA: Backend, masterB: Backend, marathon: Backend, agent: Backend, echo: Backend;
const tokens: Record<string, string> = {};

async function call(path: string, options: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers["authorization"] = `token=${options.token}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(base + path, { method: options.method ?? "GET", headers, redirect: "manual", ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test responses are checked field by field
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body };
}

async function login(uid: string, password: string): Promise<string> {
  const res = await call("/acs/api/v1/auth/login", { method: "POST", body: { uid, password } });
  expect(res.status).toBe(200);
  return res.body.token;
}

/** Raw HTTP/1.1 exchange, for requests fetch refuses to send. */
function raw(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(base).port), "127.0.0.1");
    let out = "";
    socket.on("data", (d) => (out += d.toString()));
    socket.on("end", () => resolve(out));
    socket.on("error", reject);
    socket.on("close", () => resolve(out));
    socket.write(request);
    setTimeout(() => socket.end(), 3_000).unref();
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "caravel-ar-"));
  agent = await startBackend((req, res) => {
    if (req.url?.startsWith("/state")) return json(res, 200, { frameworks: [{ id: "fw-marathon", name: "marathon", executors: [{ id: taskId("/team-a/web"), tasks: [{ id: taskId("/team-a/web") }] }, { id: taskId("/team-b/db"), tasks: [{ id: taskId("/team-b/db") }] }] }] });
    if (req.url?.startsWith("/files/read")) return json(res, 200, { data: "hello from the sandbox", offset: 0 });
    json(res, 404, {});
  });
  masterB = await startBackend((req, res) => {
    if (req.url === "/master/redirect") {
      res.writeHead(307, { location: `//127.0.0.1:${masterB.port}`, "content-length": 0 });
      return void res.end();
    }
    if (req.url?.startsWith("/master/state") || req.url?.startsWith("/master/slaves")) return json(res, 200, mesosState(agent.port));
    if (req.url === "/health") return json(res, 200, {});
    json(res, 200, { url: req.url, leader: "B" });
  });
  masterA = await startBackend((req, res) => {
    res.writeHead(307, { location: `//127.0.0.1:${masterB.port}${req.url === "/master/redirect" ? "" : req.url}`, "content-length": 0 });
    res.end();
  });
  echo = await startEchoService();
  marathon = await startBackend((req, res) => {
    const url = req.url ?? "";
    if (url === "/ping") return void res.end("pong");
    if (url.startsWith("/v2/events")) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`event: event_stream_attached\ndata: {"eventType":"event_stream_attached"}\n\n`);
      res.write(`event: status_update_event\ndata: {"eventType":"status_update_event","appId":"/team-b/db"}\n\n`);
      res.write(`event: status_update_event\ndata: {"eventType":"status_update_event","appId":"/team-a/web"}\n\n`);
      return;
    }
    if (url.startsWith("/v2/apps") && req.method === "GET" && (url === "/v2/apps" || url.startsWith("/v2/apps?"))) {
      return json(res, 200, {
        apps: [
          { id: "/team-a/web" },
          { id: "/team-b/db" },
          { id: "/svc", labels: { DCOS_SERVICE_NAME: "svc", DCOS_SERVICE_SCHEME: "http", DCOS_SERVICE_PORT_INDEX: "0" }, tasks: [{ host: "127.0.0.1", ports: [echo.port], state: "TASK_RUNNING" }] },
        ],
      });
    }
    if (url.startsWith("/v2/groups") && req.method === "GET") return json(res, 200, { id: "/", apps: [], groups: [{ id: "/team-a", apps: [{ id: "/team-a/web" }], groups: [] }, { id: "/team-b", apps: [{ id: "/team-b/db" }], groups: [] }] });
    if (url.startsWith("/v2/info")) return json(res, 200, { name: "marathon", headers: req.headers });
    json(res, req.method === "POST" ? 201 : 200, { ok: true, method: req.method, url });
  });
  const config = RouterConfig.parse({ port: 0, work_dir: dir, master: masterA.url, marathon: marathon.url, dns_http: echo.url, universe: echo.url, admin_password: PASSWORD, login_max_failures_per_uid: 3, login_max_failures_per_client: 6 });
  router = await createServer({ config, store: await createDirStore(join(dir, "store")), log: silentLogger() });
  base = (await router.listen()).url;

  tokens["admin"] = await login("admin", PASSWORD);
  const a = { token: tokens["admin"] };
  expect((await call("/acs/api/v1/users/deployer-a", { ...a, method: "PUT", body: { password: "team-a-secret", description: "deploys /team-a" } })).status).toBe(201);
  expect((await call(`/acs/api/v1/acls/${encodeURIComponent("caravel:service:/team-a")}/users/deployer-a/full`, { ...a, method: "PUT" })).status).toBe(204);
  tokens["deployer"] = await login("deployer-a", "team-a-secret");
  const now = Math.floor(Date.now() / 1000);
  tokens["expired"] = (await issueToken(router.iam.keys, { uid: "admin", now: now - 10 * 86400, ttlSeconds: 3600 })).token;
  const [h, p, s] = tokens["admin"]!.split(".");
  const claims = JSON.parse(Buffer.from(p!, "base64url").toString());
  tokens["tampered"] = `${h}.${Buffer.from(JSON.stringify({ ...claims, uid: "root" })).toString("base64url")}.${s}`;
  tokens["algNone"] = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${Buffer.from(JSON.stringify({ uid: "admin", exp: now + 3600 })).toString("base64url")}.`;
  tokens["otherKey"] = (await issueToken(await KeySet.generate(), { uid: "admin" })).token;
}, 120_000);

afterAll(async () => {
  await router?.close();
  await Promise.all([masterA, masterB, marathon, agent, echo].map((b) => b?.close()));
  await rm(dir, { recursive: true, force: true });
});

const ROUTES: [string, string, unknown?][] = [
  ["GET", "/mesos/master/state"],
  ["GET", "/marathon/v2/apps"],
  ["GET", "/service/marathon/v2/apps"],
  ["GET", "/service/svc/hello"],
  ["GET", "/mesos_dns/v1/version"],
  ["POST", "/package/search", { query: "" }],
  ["GET", "/capabilities"],
  ["GET", "/agent/agent-1/state"],
  ["GET", "/system/health/v1"],
  ["GET", "/metadata"],
  ["GET", "/acs/api/v1/users"],
  ["GET", "/pkgpanda/active.buildinfo.full.json"],
];

describe("authentication on every route", () => {
  it.each(ROUTES)("%s %s: 401 with oauthjwt for no, expired, tampered, alg-none and foreign-key tokens; 200 with a valid one", async (method, path, body) => {
    for (const kind of [undefined, "expired", "tampered", "algNone", "otherKey"]) {
      const res = await call(path, { method, ...(kind ? { token: tokens[kind] } : {}), ...(body ? { body } : {}) });
      expect(res.status, `${kind ?? "no token"} on ${path}`).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe("oauthjwt");
      expect(res.body.code).toMatch(/UNAUTHORIZED/);
    }
    const ok = await call(path, { method, token: tokens["admin"], ...(body ? { body } : {}) });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
  });

  it("accepts Bearer and the auth cookie, strips DC/OS cookies, forwards the identity and ignores a spoofed one", async () => {
    const viaBearer = await call("/marathon/v2/info", { headers: { authorization: `Bearer ${tokens["deployer"]}` } });
    expect(viaBearer.status).toBe(200);
    const res = await call("/marathon/v2/info", { headers: { cookie: `theme=dark; dcos-acs-auth-cookie=${tokens["deployer"]}; dcos-acs-info-cookie=xyz`, "x-caravel-uid": "admin" } });
    expect(res.status).toBe(200);
    expect(res.body.headers["cookie"]).toBe("theme=dark");
    expect(res.body.headers["x-caravel-uid"]).toBe("deployer-a");
    expect(res.body.headers["authorization"]).toBe(`token=${tokens["deployer"]}`);
    expect(res.body.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(res.body.headers["x-forwarded-proto"]).toBe("http");
  });

  it("refuses to remove the last superuser", async () => {
    const res = await call("/acs/api/v1/users/admin", { method: "DELETE", token: tokens["admin"] });
    expect(res.status).toBe(409);
    expect(res.body.description).toMatch(/no superuser/);
    expect((await call(`/acs/api/v1/acls/${encodeURIComponent("caravel:superuser")}/users/admin/full`, { method: "DELETE", token: tokens["admin"] })).status).toBe(409);
  });

  it("lets login, jwks, version and the console placeholder through without a token", async () => {
    expect((await call("/acs/api/v1/auth/jwks")).body.keys[0]).toMatchObject({ kty: "RSA", alg: "RS256" });
    expect((await call("/dcos-metadata/dcos-version.json")).body["dcos-variant"]).toBe("open");
    expect((await call("/")).status).toBe(200);
    expect((await call("/health")).status).toBe(200);
    expect((await call("/metrics")).body).toMatch(/caravel_admin_router_requests/);
    const browser = await call("/marathon/v2/apps", { headers: { accept: "text/html" } });
    expect(browser.status).toBe(401);
    expect(browser.body).toMatch(/<html>[\s\S]*window\.location/);
  });

  it("revokes a token at logout and all of a user's tokens on password change", async () => {
    const t = await login("deployer-a", "team-a-secret");
    expect((await call("/marathon/v2/apps", { token: t })).status).toBe(200);
    expect((await call("/acs/api/v1/auth/logout", { token: t })).status).toBe(200);
    expect((await call("/marathon/v2/apps", { token: t })).body.message).toMatch(/revoked/);
    await call("/acs/api/v1/users", { method: "PUT", token: tokens["admin"], body: {} }).catch(() => undefined);
    const u = await login("admin", PASSWORD);
    await call("/acs/api/v1/users/temp-user", { method: "PUT", token: u, body: { password: "temp-password-1" } });
    const temp = await login("temp-user", "temp-password-1");
    expect((await call("/acs/api/v1/users/temp-user", { method: "PATCH", token: u, body: { password: "temp-password-2" } })).status).toBe(204);
    expect((await call("/acs/api/v1/users/temp-user", { token: temp })).status).toBe(401);
    await login("temp-user", "temp-password-2");
  });
});

describe("RBAC: a /team-a deployer", () => {
  const as = () => ({ token: tokens["deployer"] });

  it("sees only /team-a apps, groups and Mesos tasks", async () => {
    expect((await call("/marathon/v2/apps", as())).body.apps.map((a: { id: string }) => a.id)).toEqual(["/team-a/web"]);
    const groups = (await call("/marathon/v2/groups", as())).body;
    expect(groups.groups.map((g: { id: string }) => g.id)).toEqual(["/team-a"]);
    const state = (await call("/mesos/master/state", as())).body;
    expect(state.frameworks.map((f: { name: string }) => f.name)).toEqual(["marathon"]);
    expect(state.frameworks[0].tasks.map((t: { id: string }) => t.id)).toEqual([taskId("/team-a/web")]);
    const agentState = (await call("/agent/agent-1/state", as())).body;
    expect(agentState.frameworks[0].executors.map((e: { id: string }) => e.id)).toEqual([taskId("/team-a/web")]);
    const full = (await call("/mesos/master/state", { token: tokens["admin"] })).body;
    expect(full.frameworks).toHaveLength(2);
  });

  it("can change /team-a but neither read nor change /team-b through Marathon", async () => {
    expect((await call("/marathon/v2/apps/team-a/web", as())).status).toBe(200);
    expect((await call("/marathon/v2/apps", { ...as(), method: "POST", body: { id: "/team-a/new", cmd: "sleep 1" } })).status).toBe(201);
    expect((await call("/marathon/v2/apps", { ...as(), method: "POST", body: { id: "team-a/rel", cmd: "sleep 1" } })).status).toBe(201);
    const denied: [string, string, unknown?][] = [
      ["GET", "/marathon/v2/apps/team-b/db"],
      ["POST", "/marathon/v2/apps", { id: "/team-b/x", cmd: "x" }],
      ["POST", "/marathon/v2/apps", { id: "/team-ab", cmd: "x" }],
      ["PUT", "/marathon/v2/apps", [{ id: "/team-a/web" }, { id: "/team-b/db" }]],
      ["PUT", "/marathon/v2/apps/team-b/db", { cmd: "x" }],
      ["DELETE", "/marathon/v2/apps/team-b/db"],
      ["POST", "/marathon/v2/apps/team-b/db/restart"],
      ["POST", "/marathon/v2/groups", { id: "/team-a", groups: [{ id: "/team-b/sneaky" }] }],
      ["POST", "/marathon/v2/tasks/delete", { ids: [taskId("/team-b/db")] }],
      ["GET", "/service/marathon/v2/apps/team-b/db"],
      ["POST", "/mesos/api/v1", { type: "TEARDOWN", framework_id: { value: "x" } }],
      ["GET", "/acs/api/v1/users"],
    ];
    for (const [method, path, body] of denied) {
      const res = await call(path, { ...as(), method, ...(body ? { body } : {}) });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.message).toMatch(/deployer-a may not/);
    }
    expect((await call("/marathon/v2/apps", { ...as(), method: "POST", body: "{not json" })).status).toBe(400);
  });

  it("reads /team-a sandbox files but not /team-b's", async () => {
    const sandbox = (app: string) => `/agent/agent-1/files/read?path=${encodeURIComponent(`/var/lib/caravel/slaves/agent-1/frameworks/fw-marathon/executors/${taskId(app)}/runs/latest/stdout`)}&offset=0`;
    expect((await call(sandbox("/team-a/web"), as())).body.data).toBe("hello from the sandbox");
    expect((await call(sandbox("/team-b/db"), as())).status).toBe(403);
  });

  it("gets only /team-a events from the event stream", async () => {
    const res = await fetch(`${base}/marathon/v2/events`, { headers: { authorization: `token=${tokens["deployer"]}`, accept: "text/event-stream" } });
    expect(res.headers.get("content-type")).toMatch(/event-stream/);
    const reader = res.body!.getReader();
    let text = "";
    while (!text.includes("/team-a/web")) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(text).toContain("event_stream_attached");
    expect(text).not.toContain("/team-b");
  });
});

describe("proxying", () => {
  it("follows the leading master through /master/redirect", async () => {
    const res = await call("/mesos/version", { token: tokens["admin"] });
    expect(res.body).toMatchObject({ leader: "B", url: "/version" });
  });

  it("routes /service/<name>/ by Marathon labels, strips the prefix and rewrites Location", async () => {
    const res = await call("/service/svc/some/path?x=1", { token: tokens["admin"] });
    expect(res.body).toMatchObject({ url: "/some/path?x=1" });
    expect((await call("/service/svc", { token: tokens["admin"] })).status).toBe(301);
    expect((await call("/service/svc/redirect", { token: tokens["admin"] })).headers.get("location")).toBe("/service/svc/elsewhere");
    expect((await call("/service/nothing-here/x", { token: tokens["admin"] })).status).toBe(404);
    const explained = (await call(`/system/v1/routes?path=${encodeURIComponent("/service/svc/a/b")}`, { token: tokens["deployer"] })).body;
    expect(explained).toMatchObject({ upstream: "service", name: "service svc", origin: echo.url, upstreamPath: "/a/b", needs: [{ resource: "caravel:service:/svc", action: "read" }], allowedForYou: false });
  });

  it("passes WebSockets through with the identity", async () => {
    const ws = new WebSocket(`${base.replace("http", "ws")}/service/svc/ws`, { headers: { authorization: `token=${tokens["admin"]}` } });
    const reply = await new Promise<string>((resolve, reject) => {
      ws.on("open", () => ws.send("ping"));
      ws.on("message", (d) => resolve(String(d)));
      ws.on("error", reject);
    });
    ws.close();
    expect(reply).toBe("echo(admin): ping");
    const refused = new WebSocket(`${base.replace("http", "ws")}/service/svc/ws`);
    const status = await new Promise<number>((resolve) => refused.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(401);
  });

  it("answers 502 naming the upstream when it is down", async () => {
    const dead = await startBackend(() => undefined);
    await dead.close();
    const config = RouterConfig.parse({ port: 0, work_dir: dir, master: dead.url, marathon: dead.url, auth: false });
    const r = await createServer({ config, store: await createDirStore(join(dir, "store2")), log: silentLogger() });
    const { url } = await r.listen();
    try {
      const res = await fetch(`${url}/marathon/v2/apps`);
      expect(res.status).toBe(502);
      expect(await res.json()).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", details: { upstream: "marathon" } });
      const mesos = await fetch(`${url}/mesos/master/state`);
      expect(mesos.status).toBe(503);
      expect(await mesos.json()).toMatchObject({ code: "NO_LEADER" });
    } finally {
      await r.close();
    }
  });
});

describe("hostile requests", () => {
  it("rejects two Content-Lengths and Content-Length with Transfer-Encoding", async () => {
    const two = await raw(`POST /marathon/v2/apps HTTP/1.1\r\nHost: x\r\nAuthorization: token=${tokens["admin"]}\r\nContent-Length: 5\r\nContent-Length: 40\r\n\r\nhello`);
    expect(two).toMatch(/^HTTP\/1.1 400/);
    const clte = await raw(`POST /marathon/v2/apps HTTP/1.1\r\nHost: x\r\nAuthorization: token=${tokens["admin"]}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /acs/api/v1/users HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(clte).toMatch(/^HTTP\/1.1 400/);
    expect(clte.match(/HTTP\/1.1/g)).toHaveLength(1);
  });

  it("rejects header injection", async () => {
    const res = await raw(`GET /marathon/v2/apps HTTP/1.1\r\nHost: x\r\nX-Evil: a\rInjected: b\r\n\r\n`);
    expect(res).toMatch(/^HTTP\/1.1 400/);
  });

  it("rejects path traversal under /agent/ and /service/", async () => {
    for (const path of ["/agent/agent-1/../../acs/api/v1/users", "/agent/agent-1/%2e%2e/%2e%2e/etc/passwd", "/service/svc/..%2f..%2fmesos/master/state", "/service/svc/a%2fb", "/agent/agent-1/files/read?path=/var/lib/x/../../../etc/shadow"]) {
      const res = await raw(`GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: token=${tokens["admin"]}\r\nConnection: close\r\n\r\n`);
      expect(res, path).toMatch(/^HTTP\/1.1 400/);
      expect(res).toMatch(/traversal|encoded slashes|\.\./);
    }
  });
});

describe("login", () => {
  it("logs service accounts in with an RS256 login token signed by their key", async () => {
    const account = await KeySet.generate();
    const { createPublicKey } = await import("node:crypto");
    const pem = createPublicKey({ key: (await account.jwks()).keys[0] as import("node:crypto").JsonWebKey, format: "jwk" }).export({ type: "spki", format: "pem" }).toString();
    expect((await call("/acs/api/v1/users/ci-bot", { method: "PUT", token: tokens["admin"], body: { public_key: pem, description: "CI" } })).status).toBe(201);
    expect((await call("/acs/api/v1/users?type=service", { token: tokens["admin"] })).body.array.map((u: { uid: string }) => u.uid)).toEqual(["ci-bot"]);
    const { token: loginToken } = await issueToken(account, { uid: "ci-bot", ttlSeconds: 30 });
    const res = await fetch(`${base}/acs/api/v1/auth/login`, { method: "POST", body: JSON.stringify({ uid: "ci-bot", token: loginToken }), headers: { "x-forwarded-for": "10.9.9.9" } });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get("set-cookie")).toContain("dcos-acs-auth-cookie=");
  });
  // Runs last in this file's logins: it leaves this client address rate-limited.
  it("rate-limits brute force per uid (429 with Retry-After) and per client address", async () => {
    await call("/acs/api/v1/users/victim", { method: "PUT", token: tokens["admin"], body: { password: "victim-password" } });
    const attempts = [];
    for (let i = 0; i < 4; i++) attempts.push((await call("/acs/api/v1/auth/login", { method: "POST", body: { uid: "victim", password: `guess-${i}` } })).status);
    expect(attempts).toEqual([401, 401, 401, 429]);
    const blocked = await call("/acs/api/v1/auth/login", { method: "POST", body: { uid: "victim", password: "victim-password" } });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) await call("/acs/api/v1/auth/login", { method: "POST", body: { uid: `nobody-${i}`, password: "x" } });
    expect((await call("/acs/api/v1/auth/login", { method: "POST", body: { uid: "nobody-new", password: "x" } })).status).toBe(429);
  });

});

describe("audit", () => {
  it("has a record per mutation with who, what, when and result, filterable and exportable as JSON lines", async () => {
    const before = router.audit.size;
    await call("/marathon/v2/apps", { method: "POST", token: tokens["deployer"], body: { id: "/team-a/audited", cmd: "x" } });
    await call("/marathon/v2/apps/team-b/db", { method: "DELETE", token: tokens["deployer"] });
    await call("/acs/api/v1/groups/ops", { method: "PUT", token: tokens["admin"], body: { description: "operators" } });
    await new Promise((r) => setImmediate(r));
    expect(router.audit.size).toBe(before + 3);
    const mine = (await call("/acs/api/v1/audit?uid=deployer-a&path_prefix=/marathon", { token: tokens["admin"] })).body.array;
    expect(mine.at(-2)).toMatchObject({ uid: "deployer-a", method: "POST", path: "/marathon/v2/apps", status: 201, result: "allowed", resource: "caravel:service:/team-a/audited" });
    expect(mine.at(-1)).toMatchObject({ uid: "deployer-a", method: "DELETE", status: 403, result: "denied", resource: "caravel:service:/team-b/db" });
    expect(Date.parse(mine.at(-1).time)).toBeGreaterThan(0);
    const lines = (await call("/acs/api/v1/audit?format=jsonl&method=put", { token: tokens["admin"] })).body as string;
    expect(lines.trim().split("\n").map((l) => JSON.parse(l).path)).toContain("/acs/api/v1/groups/ops");
    expect((await call("/acs/api/v1/audit", { token: tokens["deployer"] })).status).toBe(403);
    expect((await call("/acs/api/v1/audit?since=yesterday", { token: tokens["admin"] })).status).toBe(400);
    expect(JSON.stringify(router.audit.query({}))).not.toContain(PASSWORD);
    const logins = router.audit.query({ uid: "victim", path_prefix: "/acs/api/v1/auth/login" }).map((r) => `${r.status} ${r.result}`);
    expect(logins).toEqual(expect.arrayContaining(["401 denied", "429 denied"]));
    expect(JSON.stringify(router.audit.query({}))).not.toContain("victim-password");
  });
});
