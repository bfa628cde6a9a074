import { describe, expect, it } from "vitest";
import { SignJWT, UnsecuredJWT, exportSPKI, generateKeyPair } from "jose";
import { KeySet } from "./keys.js";
import { issueToken, verifyServiceLoginToken, verifyToken } from "./tokens.js";

const NOW = 1_800_000_000;

async function rejects(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code: "UNAUTHORIZED", message: expect.stringMatching(pattern) });
}

describe("IAM tokens", () => {
  it("issues RS256 tokens with uid, exp, jti and kid that verify with the same key set", async () => {
    const keys = await KeySet.generate(NOW);
    const { token, claims } = await issueToken(keys, { uid: "alice", now: NOW });
    const header = JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString());
    expect(header).toMatchObject({ alg: "RS256", kid: keys.current.kid });
    expect(claims.exp - claims.iat).toBe(5 * 24 * 3600);
    await expect(verifyToken(token, keys, { now: NOW + 10 })).resolves.toMatchObject({ uid: "alice", jti: claims.jti });
  });

  it("rejects expired tokens", async () => {
    const keys = await KeySet.generate(NOW);
    const { token } = await issueToken(keys, { uid: "alice", now: NOW, ttlSeconds: 60 });
    await rejects(verifyToken(token, keys, { now: NOW + 3600 }), /expired/);
  });

  it("rejects tampered tokens", async () => {
    const keys = await KeySet.generate(NOW);
    const { token } = await issueToken(keys, { uid: "alice", now: NOW });
    const [h, , s] = token.split(".");
    const forged = Buffer.from(JSON.stringify({ uid: "admin", exp: NOW + 999, iat: NOW })).toString("base64url");
    await rejects(verifyToken(`${h}.${forged}.${s}`, keys, { now: NOW }), /signature/);
  });

  it("rejects alg none", async () => {
    const keys = await KeySet.generate(NOW);
    const unsigned = new UnsecuredJWT({ uid: "admin" }).setExpirationTime(NOW + 100).encode();
    await rejects(verifyToken(unsigned, keys, { now: NOW }), /RS256|unknown key/);
    const withKid = `${Buffer.from(JSON.stringify({ alg: "none", kid: keys.current.kid })).toString("base64url")}.${unsigned.split(".")[1]}.`;
    await rejects(verifyToken(withKid, keys, { now: NOW }), /RS256/);
  });

  it("rejects HS256 tokens, even keyed with the public key", async () => {
    const keys = await KeySet.generate(NOW);
    const jwks = await keys.jwks();
    const secret = new TextEncoder().encode(JSON.stringify(jwks.keys[0]));
    const hs = await new SignJWT({ uid: "admin" }).setProtectedHeader({ alg: "HS256", kid: keys.current.kid }).setExpirationTime(NOW + 100).sign(secret);
    await rejects(verifyToken(hs, keys, { now: NOW }), /RS256/);
  });

  it("rejects tokens signed by another key, also one reusing a known kid", async () => {
    const keys = await KeySet.generate(NOW);
    const other = await KeySet.generate(NOW);
    const { token } = await issueToken(other, { uid: "alice", now: NOW });
    await rejects(verifyToken(token, keys, { now: NOW }), /unknown key/);
    const spoof = await new SignJWT({ uid: "alice" }).setProtectedHeader({ alg: "RS256", kid: keys.current.kid }).setExpirationTime(NOW + 100).sign(other.current.privateKey);
    await rejects(verifyToken(spoof, keys, { now: NOW }), /signature/);
  });

  it("requires uid and exp", async () => {
    const keys = await KeySet.generate(NOW);
    const noUid = await new SignJWT({ sub: "x" }).setProtectedHeader({ alg: "RS256", kid: keys.current.kid }).setExpirationTime(NOW + 100).sign(keys.current.privateKey);
    await rejects(verifyToken(noUid, keys, { now: NOW }), /uid/);
    const noExp = await new SignJWT({ uid: "x" }).setProtectedHeader({ alg: "RS256", kid: keys.current.kid }).sign(keys.current.privateKey);
    await rejects(verifyToken(noExp, keys, { now: NOW }), /exp/);
  });

  it("keeps old tokens valid across a rotation, signs new ones with the new key, and drops keys past `keep`", async () => {
    const keys = await KeySet.generate(NOW);
    const { token: old } = await issueToken(keys, { uid: "alice", now: NOW });
    const fresh = await keys.rotate(2, NOW + 10);
    const { token } = await issueToken(keys, { uid: "bob", now: NOW + 10 });
    expect(JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString()).kid).toBe(fresh.kid);
    await expect(verifyToken(old, keys, { now: NOW + 20 })).resolves.toMatchObject({ uid: "alice" });
    await expect(verifyToken(old, await keys.jwks(), { now: NOW + 20 })).resolves.toMatchObject({ uid: "alice" });
    await keys.rotate(2, NOW + 30);
    await rejects(verifyToken(old, keys, { now: NOW + 40 }), /unknown key/);
    const restored = await KeySet.fromStored(await keys.toStored());
    expect(restored.current.kid).toBe(keys.current.kid);
  });

  it("verifies service account login tokens against the account's public key", async () => {
    const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
    const pem = await exportSPKI(publicKey);
    const login = await new SignJWT({ uid: "svc" }).setProtectedHeader({ alg: "RS256" }).setExpirationTime(NOW + 30).sign(privateKey);
    await expect(verifyServiceLoginToken(login, "svc", pem, { now: NOW })).resolves.toBeUndefined();
    await rejects(verifyServiceLoginToken(login, "other", pem, { now: NOW }), /not other/);
    await rejects(verifyServiceLoginToken(login, "svc", pem, { now: NOW + 600 }), /expired/);
    const other = await generateKeyPair("RS256", { extractable: true });
    await rejects(verifyServiceLoginToken(login, "svc", await exportSPKI(other.publicKey), { now: NOW }), /signature/);
  });
});
