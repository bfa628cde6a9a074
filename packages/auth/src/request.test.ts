import { describe, expect, it } from "vitest";
import { KeySet } from "./keys.js";
import { issueToken } from "./tokens.js";
import { RequestVerifier, extractToken, stripCookies } from "./request.js";

describe("request tokens", () => {
  it("reads token=, Bearer and the auth cookie (cookie only without an Authorization header)", () => {
    expect(extractToken({ authorization: "token=abc" })).toEqual({ token: "abc", from: "authorization" });
    expect(extractToken({ authorization: "Bearer abc" })).toEqual({ token: "abc", from: "authorization" });
    expect(extractToken({ cookie: "a=1; dcos-acs-auth-cookie=xyz; b=2" })).toEqual({ token: "xyz", from: "cookie" });
    expect(extractToken({ authorization: "token=abc", cookie: "dcos-acs-auth-cookie=xyz" })?.token).toBe("abc");
    expect(extractToken({})).toBeUndefined();
    expect(() => extractToken({ authorization: "Basic dXNlcjpwYXNz" })).toThrow(/token=<JWT>/);
  });

  it("strips DC/OS cookies and keeps the others", () => {
    expect(stripCookies("a=1; dcos-acs-auth-cookie=x; dcos-acs-info-cookie=y; b=2")).toBe("a=1; b=2");
    expect(stripCookies("dcos-acs-auth-cookie=x")).toBeUndefined();
  });

  it("verifies, caches, and applies the revocation check also to cached tokens", async () => {
    const keys = await KeySet.generate();
    const { token, claims } = await issueToken(keys, { uid: "alice" });
    const revoked = new Set<string>();
    const verifier = new RequestVerifier(keys, {
      check: (c) => {
        if (revoked.has(c.jti!)) throw Object.assign(new Error("revoked"), { code: "UNAUTHORIZED" });
      },
    });
    await expect(verifier.verifyRequest({ authorization: `token=${token}` })).resolves.toMatchObject({ uid: "alice" });
    revoked.add(claims.jti!);
    await expect(verifier.verifyRequest({ authorization: `token=${token}` })).rejects.toThrow(/revoked/);
    await expect(verifier.verifyRequest({})).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });
});
