/**
 * Backends beyond loopback check tokens (issue #7): caravel-master and caravel-marathon listen on
 * this machine's non-loopback address with `--iam_url` pointing at the admin router. A caller
 * without a token gets 401; one with a service account's token (logged in at IAM with an RS256
 * login token) is served. Marathon itself runs as service account `caravel-marathon`
 * (`--service_account_uid/--service_account_key`) and so can subscribe to the checking master.
 * caravel-dns (HTTP API) checks tokens too and follows the master as service account `caravel-dns`.
 * The router's own calls and the calls it proxies keep working.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { networkInterfaces, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { binPath, freePort, stopAllProcesses, useProcesses, waitFor } from "@caravel/testing";

const ROUTER = resolve(import.meta.dirname, "../../apps/admin-router/dist/main.js");
const PASSWORD = "e2e-admin-password";
const scope = useProcesses();
afterAll(() => stopAllProcesses(), 60_000);

let router: string;
let master: string;
let marathon: string;
let dns: string;
let admin: string;
const account = generateKeyPairSync("rsa", { modulusLength: 2048 });

function externalAddress(): string {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  throw new Error("this test needs a non-loopback IPv4 address on some interface (e.g. `ip addr add 192.0.2.2/24 dev eth0`)");
}

/** A service account's login token as DC/OS clients make it: RS256 over {uid, exp}. */
function loginToken(uid: string, key: KeyObject): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const data = `${b64({ alg: "RS256", typ: "JWT" })}.${b64({ uid, exp: Math.floor(Date.now() / 1000) + 60 })}`;
  return `${data}.${sign("sha256", Buffer.from(data), key).toString("base64url")}`;
}

async function login(body: unknown): Promise<string> {
  const res = await fetch(`${router}/acs/api/v1/auth/login`, { method: "POST", body: JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

const get = (url: string, token?: string) => fetch(url, token ? { headers: { authorization: `token=${token}` } } : {});

beforeAll(async () => {
  for (const bin of [ROUTER, binPath("master"), binPath("marathon"), binPath("dns")]) if (!existsSync(bin)) throw new Error(`${bin} does not exist: run pnpm -r build`);
  const ip = externalAddress();
  const dir = mkdtempSync(join(tmpdir(), "backend-auth-e2e-"));
  const [routerPort, masterPort, marathonPort, dnsPort, dnsHttpPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  router = `http://127.0.0.1:${routerPort}`;
  master = `http://${ip}:${masterPort}`;
  marathon = `http://${ip}:${marathonPort}`;
  dns = `http://${ip}:${dnsHttpPort}`;
  await scope.start({
    name: "admin-router",
    command: process.execPath,
    args: [ROUTER, `--port=${routerPort}`, `--work_dir=${join(dir, "router")}`, `--master=${master}`, `--marathon=${marathon}`, `--admin_password=${PASSWORD}`, "--log_level=warn"],
    healthUrl: `${router}/health`,
  });
  admin = await login({ uid: "admin", password: PASSWORD });
  // The account the launcher would create for Marathon: a uid with a public key.
  const pem = account.publicKey.export({ type: "spki", format: "pem" }).toString();
  for (const uid of ["caravel-marathon", "caravel-dns"]) {
    const put = await fetch(`${router}/acs/api/v1/users/${uid}`, { method: "PUT", headers: { authorization: `token=${admin}` }, body: JSON.stringify({ public_key: pem, description: uid }) });
    expect(put.status, await put.clone().text()).toBe(201);
  }
  const keyFile = join(dir, "marathon.pem");
  writeFileSync(keyFile, account.privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  await scope.start({
    name: "master",
    command: process.execPath,
    args: [binPath("master"), `--ip=${ip}`, `--port=${masterPort}`, `--work_dir=${join(dir, "master")}`, `--iam_url=${router}`, "--log_level=warn"],
    healthUrl: `${master}/health`,
  });
  await scope.start({
    name: "marathon",
    command: process.execPath,
    args: [binPath("marathon"), `--ip=${ip}`, `--http_port=${marathonPort}`, `--master=${master}`, `--work_dir=${join(dir, "marathon")}`, `--iam_url=${router}`, "--service_account_uid=caravel-marathon", `--service_account_key=${keyFile}`, "--log_level=warn"],
    healthUrl: `${marathon}/ping`,
  });
  await scope.start({
    name: "dns",
    command: process.execPath,
    args: [binPath("dns"), `--listen=${ip}`, `--port=${dnsPort}`, `--http_port=${dnsHttpPort}`, `--master=${master}`, "--resolvers=127.0.0.1:1", `--iam_url=${router}`, "--service_account_uid=caravel-dns", `--service_account_key=${keyFile}`, "--log_level=warn"],
    healthUrl: `${dns}/health`,
  });
}, 120_000);

describe("backends beyond loopback with --iam_url", () => {
  it("refuse a caller without a token (401, oauthjwt) and serve one with a service account's token", async () => {
    for (const url of [`${master}/master/state`, `${marathon}/v2/apps`, `${dns}/v1/version`]) {
      const res = await get(url);
      expect(res.status, url).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe("oauthjwt");
    }
    const token = await login({ uid: "caravel-marathon", token: loginToken("caravel-marathon", account.privateKey) });
    expect((await get(`${master}/master/state`, token)).status).toBe(200);
    expect((await get(`${marathon}/v2/apps`, token)).status).toBe(200);
    expect((await get(`${dns}/v1/version`, token)).status).toBe(200);
    expect((await get(`${master}/master/state`, `${token.slice(0, -6)}AAAAAA`)).status).toBe(401);
  });

  it("Marathon, as its service account, subscribes to the checking master", async () => {
    const token = await login({ uid: "caravel-marathon", token: loginToken("caravel-marathon", account.privateKey) });
    await waitFor(
      async () => ((await (await get(`${master}/master/frameworks`, token)).json()) as { frameworks: { name: string }[] }).frameworks.some((f) => f.name === "marathon"),
      { timeoutMs: 60_000, message: "Marathon to register with the master using its service account's token" },
    );
  });

  it("caravel-dns, as its service account, follows the checking master (leader.mesos resolves)", async () => {
    const token = await login({ uid: "caravel-marathon", token: loginToken("caravel-marathon", account.privateKey) });
    const ip = new URL(master).hostname;
    await waitFor(
      async () => ((await (await get(`${dns}/v1/hosts/leader.mesos`, token)).json()) as { ip?: string }[]).some((r) => r.ip === ip),
      { timeoutMs: 60_000, message: "caravel-dns to read the master's state with its service account's token" },
    );
  });

  it("calls through the admin router still work (the caller's token is forwarded)", async () => {
    expect((await get(`${router}/mesos/master/state`, admin)).status).toBe(200);
    expect((await get(`${router}/marathon/v2/apps`, admin)).status).toBe(200);
    const health = (await (await get(`${router}/system/health/v1`, admin)).json()) as Record<string, unknown>;
    expect(JSON.stringify(health)).not.toMatch(/401/);
  });
});
