/**
 * Deployment shapes: several router processes sharing one Store (--workers), HTTPS with a
 * generated certificate, and per-route upstream timeouts (504 naming the upstream).
 */
import { afterAll, describe, expect, it } from "vitest";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request as httpsRequest } from "node:https";
import { silentLogger } from "@caravel/runtime";
import { RouterConfig } from "./config.js";
import { Forwarder } from "./proxy/forward.js";
import { createServer, type AdminRouter } from "./server.js";
import { createDirStore } from "./store/store.js";
import { loadOrCreateTls } from "./tls.js";
import { startEchoService } from "./testkit/backends.js";

const dirs: string[] = [];
const routers: AdminRouter[] = [];
afterAll(async () => {
  await Promise.all(routers.map((r) => r.close()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ar-deploy-"));
  dirs.push(dir);
  return dir;
}

async function waitUntil(fn: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("several router processes on one Store", () => {
  it("share users, grants, revocations and the audit trail", async () => {
    const dir = await tempDir();
    const config = RouterConfig.parse({ port: 0, work_dir: dir, admin_password: "shared-admin-pw" });
    const store = join(dir, "store");
    const a = await createServer({ config, store: await createDirStore(store), log: silentLogger(), worker: 0 });
    const b = await createServer({ config, store: await createDirStore(store), log: silentLogger(), worker: 1 });
    routers.push(a, b);
    const [ua, ub] = [(await a.listen()).url, (await b.listen()).url];
    const login = async (url: string, uid: string, password: string) => ((await (await fetch(`${url}/acs/api/v1/auth/login`, { method: "POST", body: JSON.stringify({ uid, password }) })).json()) as { token: string }).token;
    const admin = await login(ua, "admin", "shared-admin-pw");
    const put = await fetch(`${ua}/acs/api/v1/users/carol`, { method: "PUT", headers: { authorization: `token=${admin}` }, body: JSON.stringify({ password: "carol-password" }) });
    expect(put.status).toBe(201);
    await waitUntil(async () => (await fetch(`${ub}/acs/api/v1/users/carol`, { headers: { authorization: `token=${admin}` } })).status === 200, "worker 1 to see carol");
    const carol = await login(ub, "carol", "carol-password");
    expect((await fetch(`${ua}/acs/api/v1/users/carol`, { headers: { authorization: `token=${carol}` } })).status).toBe(200);
    await fetch(`${ub}/acs/api/v1/auth/logout`, { headers: { authorization: `token=${carol}` } });
    await waitUntil(async () => (await fetch(`${ua}/acs/api/v1/users/carol`, { headers: { authorization: `token=${carol}` } })).status === 401, "worker 0 to honour the revocation");
    const audit = (await (await fetch(`${ub}/acs/api/v1/audit?method=PUT`, { headers: { authorization: `token=${admin}` } })).json()) as { array: { path: string }[] };
    expect(audit.array.map((r) => r.path)).toContain("/acs/api/v1/users/carol");
  });
});

describe("HTTPS", () => {
  it("serves with a generated self-signed certificate and marks cookies Secure", async () => {
    const dir = await tempDir();
    const tls = await loadOrCreateTls({ workDir: dir, hostname: "127.0.0.1" });
    expect((await stat(join(dir, "tls", "key.pem"))).mode & 0o077).toBe(0);
    const config = RouterConfig.parse({ port: 0, work_dir: dir, admin_password: "tls-admin-pw", tls: true });
    const router = await createServer({ config, store: await createDirStore(join(dir, "store")), log: silentLogger(), tls });
    routers.push(router);
    const { url } = await router.listen();
    expect(url).toMatch(/^https:/);
    const { status, cookies } = await new Promise<{ status: number; cookies: string[] }>((resolve, reject) => {
      const req = httpsRequest(`${url}/acs/api/v1/auth/login`, { method: "POST", ca: tls.cert }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, cookies: res.headers["set-cookie"] ?? [] });
      });
      req.on("error", reject);
      req.end(JSON.stringify({ uid: "admin", password: "tls-admin-pw" }));
    });
    expect(status).toBe(200);
    expect(cookies.every((c) => c.includes("Secure"))).toBe(true);
  });
});

describe("upstream timeouts", () => {
  it("answers 504 naming the upstream when it does not answer in time", async () => {
    const slow = await startEchoService();
    const forwarder = new Forwarder();
    try {
      await expect(forwarder.request({ headers: {} } as never, { name: "marathon", origin: slow.url, path: "/slow", method: "GET", headers: {}, timeoutMs: 300 })).rejects.toMatchObject({
        code: "UPSTREAM_TIMEOUT",
        status: 504,
        details: { upstream: "marathon" },
      });
    } finally {
      await forwarder.close();
      await slow.close();
    }
  });
});
