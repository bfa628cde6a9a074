import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKeyPairSync } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { createMasterClient } from "@caravel/api";
import { KeySet } from "./keys.js";
import { issueToken, verifyServiceLoginToken, verifyToken } from "./tokens.js";
import { ServiceAccountLogin, needsRefresh } from "./service-account.js";

const account = generateKeyPairSync("rsa", { modulusLength: 2048 });
const privateKeyPem = account.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const publicKeyPem = account.publicKey.export({ type: "spki", format: "pem" }).toString();

let iamKeys: KeySet;
let server: Server;
let iamUrl: string;
let logins = 0;
let refuse = false;
const seenByBackend: string[] = [];
/** What the stand-in IAM's clock says, in seconds; tokens it issues last 100 s. */
let now = 1_000_000;

// A real HTTP server doing IAM's service login: checks the RS256 login token, issues an IAM token.
beforeAll(async () => {
  iamKeys = await KeySet.generate();
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      void (async () => {
        if (req.url === "/master/state") {
          // A backend that refuses the first token it sees (as if revoked), then accepts any other.
          const auth = req.headers.authorization ?? "";
          seenByBackend.push(auth);
          const ok = auth.startsWith("token=") && auth !== seenByBackend[0];
          return void res.writeHead(ok ? 200 : 401, { "content-type": "application/json" }).end(ok ? "{}" : '{"message":"revoked"}');
        }
        const { uid, token } = JSON.parse(body) as { uid: string; token: string };
        try {
          if (refuse || req.url !== "/acs/api/v1/auth/login") throw new Error("refused");
          await verifyServiceLoginToken(token, uid, publicKeyPem, { now });
          logins++;
          const issued = await issueToken(iamKeys, { uid, ttlSeconds: 100, now });
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token: issued.token }));
        } catch (error) {
          res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ code: "UNAUTHORIZED", message: (error as Error).message }));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  iamUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("service account login", () => {
  it("logs in once, shares the token, refreshes it before expiry, and again after a 401", async () => {
    const login = new ServiceAccountLogin({ iamUrl, uid: "caravel-marathon", privateKeyPem, clock: () => now });
    const before = logins;
    const [a, b] = await Promise.all([login.authorization(), login.authorization()]);
    expect(a).toBe(b);
    expect(logins - before).toBe(1);
    expect(await verifyToken(a.slice("token=".length), iamKeys, { now })).toMatchObject({ uid: "caravel-marathon" });
    now += 50; // half the token's life: still good
    expect(await login.authorization()).toBe(a);
    expect(logins - before).toBe(1);
    now += 30; // 20 s left, under the 30 s floor: log in again
    const c = await login.authorization();
    expect(c).not.toBe(a);
    expect(logins - before).toBe(2);
    const provider = login.provider();
    provider.invalidate!();
    expect(await provider()).not.toBe(c);
    expect(logins - before).toBe(3);
  });

  it("keeps a still-valid token while IAM refuses, and says why once none is left", async () => {
    const login = new ServiceAccountLogin({ iamUrl, uid: "caravel-dns", privateKeyPem, clock: () => now });
    const token = await login.authorization();
    refuse = true;
    try {
      now += 85; // inside the refresh window, not expired: the old token still serves
      expect(await login.authorization()).toBe(token);
      now += 20;
      await expect(login.authorization()).rejects.toMatchObject({ code: "UNAUTHORIZED", message: expect.stringContaining("caravel-dns") });
    } finally {
      refuse = false;
    }
  });

  it("gives @caravel/api clients their Authorization, and logs in again after a 401", async () => {
    const login = new ServiceAccountLogin({ iamUrl, uid: "caravel-universe", privateKeyPem, clock: () => now });
    const client = createMasterClient(iamUrl, { authorization: login.provider() });
    await expect(client.state()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(client.state()).resolves.toEqual({});
    expect(seenByBackend).toHaveLength(2);
    expect(seenByBackend[1]).not.toBe(seenByBackend[0]);
    // A header the caller names itself wins over the provider.
    await expect(createMasterClient(iamUrl, { authorization: login.provider(), headers: { authorization: seenByBackend[0]! } }).state()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("rejects a key that is not an RSA private key, naming the flag", () => {
    expect(() => new ServiceAccountLogin({ iamUrl, uid: "x", privateKeyPem: "not a key" })).toThrow(/private key/);
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    expect(() => new ServiceAccountLogin({ iamUrl, uid: "x", privateKeyPem: ec })).toThrow(/must be RSA/);
  });

  it("names an unreachable IAM", async () => {
    const login = new ServiceAccountLogin({ iamUrl: "http://127.0.0.1:1", uid: "x", privateKeyPem });
    await expect(login.authorization()).rejects.toMatchObject({ code: "UPSTREAM_UNAVAILABLE", message: expect.stringContaining("cannot reach IAM") });
  });

  it("refreshes before expiry but not too early (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 1, max: 1e7 }), fc.integer({ min: 0, max: 2e7 }), (iat, life, elapsed) => {
        const held = { iat, exp: iat + life };
        const now = iat + elapsed;
        if (now >= held.exp) expect(needsRefresh(held, now, 0.2)).toBe(true);
        if (elapsed < life * 0.8 && now < held.exp - 30) expect(needsRefresh(held, now, 0.2)).toBe(false);
      }),
    );
  });
});
