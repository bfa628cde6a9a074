import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFileSync, mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { exportSPKI } from "jose";
import { KeySet } from "./keys.js";
import { issueToken } from "./tokens.js";
import { backendAuthFromFlags } from "./flags.js";

/** A non-loopback address of this machine: requests to it arrive from it, not from 127.0.0.1. */
function externalAddress(): string {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  throw new Error("this test needs a non-loopback IPv4 address on some interface (e.g. `ip addr add 192.0.2.2/24 dev eth0`)");
}

let keys: KeySet;

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; await new Promise((r) => setTimeout(r, 250))) if (await check()) return;
  throw new Error(`timed out waiting for ${what}`);
}
let dir: string;
const servers: Server[] = [];

async function serve(flags: Parameters<typeof backendAuthFromFlags>[0], host: string): Promise<string> {
  const { guard } = await backendAuthFromFlags(flags);
  const server = createServer(guard((_req, res) => res.end("ok")));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  keys = await KeySet.generate();
  dir = mkdtempSync(join(tmpdir(), "caravel-guard-"));
  writeFileSync(join(dir, "iam.jwks"), JSON.stringify(await keys.jwks()));
  writeFileSync(join(dir, "iam.pem"), await exportSPKI(keys.current.publicKey));
});
afterAll(() => Promise.all(servers.map((s) => new Promise((resolve) => (s.closeAllConnections(), s.close(resolve))))));

describe("backend guard (--iam_public_key)", () => {
  it.each(["iam.jwks", "iam.pem"])("beyond loopback: 401 without a token, 200 with IAM's, public paths open (%s)", async (file) => {
    const base = await serve({ iam_public_key: join(dir, file) }, externalAddress());
    const { token } = await issueToken(keys, { uid: "caravel-marathon" });
    const none = await fetch(`${base}/master/state`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe("oauthjwt");
    expect(await none.json()).toMatchObject({ message: expect.stringContaining("POST /acs/api/v1/auth/login") });
    expect((await fetch(`${base}/master/state`, { headers: { authorization: `token=${token}` } })).status).toBe(200);
    expect((await fetch(`${base}/master/state`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await fetch(`${base}/master/state`, { headers: { authorization: `token=${token.slice(0, -4)}AAAA` } })).status).toBe(401);
    const other = await issueToken(await KeySet.generate(), { uid: "caravel-marathon" });
    expect((await fetch(`${base}/master/state`, { headers: { authorization: `token=${other.token}` } })).status).toBe(401);
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/health?x=1`)).status).toBe(200);
  });

  it("on loopback a caller without a token passes; a bad token is still refused", async () => {
    const base = await serve({ iam_public_key: join(dir, "iam.jwks") }, "127.0.0.1");
    expect((await fetch(`${base}/master/state`)).status).toBe(200);
    expect((await fetch(`${base}/master/state`, { headers: { authorization: "token=garbage" } })).status).toBe(401);
  });

  it("without --iam_url or --iam_public_key, nothing is checked", async () => {
    const base = await serve({}, externalAddress());
    expect((await fetch(`${base}/master/state`)).status).toBe(200);
  });

  it("refuses unusable flags with the flag's name", async () => {
    await expect(backendAuthFromFlags({ iam_public_key: join(dir, "missing") })).rejects.toMatchObject({ name: "ConfigError", message: expect.stringContaining("--iam_public_key") });
    writeFileSync(join(dir, "junk"), "hello");
    await expect(backendAuthFromFlags({ iam_public_key: join(dir, "junk") })).rejects.toMatchObject({ message: expect.stringContaining("neither a JWKS") });
    await expect(backendAuthFromFlags({ service_account_uid: "x" })).rejects.toMatchObject({ message: expect.stringContaining("--service_account_key") });
    await expect(backendAuthFromFlags({ service_account_uid: "x", service_account_key: join(dir, "iam.pem") })).rejects.toMatchObject({ message: expect.stringContaining("--iam_url") });
    await expect(backendAuthFromFlags({ iam_url: "http://127.0.0.1:1", service_account_uid: "x", service_account_key: join(dir, "iam.pem") })).rejects.toMatchObject({ message: expect.stringContaining("--service_account_key") });
  });

  it("with --iam_url, fetches IAM's keys from the JWKS endpoint", async () => {
    const iam = createServer((req, res) => {
      if (req.url !== "/acs/api/v1/auth/jwks") return void res.writeHead(404).end();
      void keys.jwks().then((doc) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(doc)));
    });
    servers.push(iam);
    await new Promise<void>((resolve) => iam.listen(0, "127.0.0.1", resolve));
    const base = await serve({ iam_url: `http://127.0.0.1:${(iam.address() as AddressInfo).port}` }, externalAddress());
    const { token } = await issueToken(keys, { uid: "caravel-dns" });
    expect((await fetch(`${base}/v1/version`)).status).toBe(401);
    expect((await fetch(`${base}/v1/version`, { headers: { authorization: `token=${token}` } })).status).toBe(200);
    // IAM rotates its key: tokens signed by the new key are accepted once the JWKS is fetched again.
    await keys.rotate();
    const fresh = await issueToken(keys, { uid: "caravel-dns" });
    await waitUntil(async () => (await fetch(`${base}/v1/version`, { headers: { authorization: `token=${fresh.token}` } })).status === 200, "the rotated key to be fetched");
    expect((await fetch(`${base}/v1/version`, { headers: { authorization: `token=${token}` } })).status).toBe(200);
  });
});
