import { describe, expect, it } from "vitest";
import type { IncomingMessage } from "node:http";
import { KeySet } from "./keys.js";
import { issueToken } from "./tokens.js";
import { createBackendAuth, isLoopback } from "./backend.js";

const req = (remoteAddress: string, headers: Record<string, string> = {}) => ({ socket: { remoteAddress }, headers }) as unknown as IncomingMessage;

describe("backend auth", () => {
  it("lets loopback callers without a token through, requires a valid token from anyone else", async () => {
    const keys = await KeySet.generate();
    const auth = createBackendAuth({ keys });
    const { token } = await issueToken(keys, { uid: "svc" });
    await expect(auth(req("127.0.0.1"))).resolves.toBeUndefined();
    await expect(auth(req("10.0.0.5"))).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(auth(req("10.0.0.5", { authorization: `token=${token}` }))).resolves.toMatchObject({ uid: "svc" });
    await expect(auth(req("127.0.0.1", { authorization: "token=garbage" }))).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(createBackendAuth({ keys, trustLoopback: false })(req("127.0.0.1"))).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    expect([isLoopback("::1"), isLoopback("::ffff:127.0.0.1"), isLoopback("128.0.0.1"), isLoopback(undefined)]).toEqual([true, true, false, false]);
  });
});
