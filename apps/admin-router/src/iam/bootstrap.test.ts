import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createFileStore } from "@caravel/coordination";
import { ServiceAccountLogin } from "@caravel/auth";
import { silentLogger } from "@caravel/runtime";
import { applyBootstrapAccounts, startBootstrapImport } from "./bootstrap.js";
import { addUser, emptyState } from "./model.js";
import { IamService } from "./service.js";
import { createDirStore, type RouterStore } from "../store/store.js";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "iam-bootstrap-"));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const pair = () => generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
const AT = "2026-01-01T00:00:00Z";

/** Polls until `ok` (no timed assertion: a generous limit only guards against hanging). */
async function waitFor(ok: () => boolean, { timeoutMs, message }: { timeoutMs: number; message: string }): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${message}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("applyBootstrapAccounts (pure)", () => {
  it("adds new accounts, follows re-published keys of bootstrapped ones, never touches users or API-made accounts, and is idempotent", () => {
    let s = addUser(emptyState([]), { uid: "alice", description: "", kind: "user", createdAt: AT });
    s = addUser(s, { uid: "by-hand", description: "", kind: "service", publicKey: "K0", createdAt: AT });
    const first = applyBootstrapAccounts(s, [
      { uid: "caravel-agent-10.0.0.5", public_key: "K1", description: "agent" },
      { uid: "alice", public_key: "K2", description: "" },
      { uid: "by-hand", public_key: "K3", description: "" },
    ], AT);
    expect(first.added).toEqual(["caravel-agent-10.0.0.5"]);
    expect(first.skipped.map((x) => x.uid)).toEqual(["alice", "by-hand"]);
    expect(first.state.users["caravel-agent-10.0.0.5"]).toMatchObject({ kind: "service", publicKey: "K1", bootstrap: true });
    expect(first.state.users["alice"]!.kind).toBe("user");
    expect(first.state.users["by-hand"]!.publicKey).toBe("K0");
    const again = applyBootstrapAccounts(first.state, [{ uid: "caravel-agent-10.0.0.5", public_key: "K1", description: "agent" }], AT);
    expect(again.state).toBe(first.state);
    const rekeyed = applyBootstrapAccounts(first.state, [{ uid: "caravel-agent-10.0.0.5", public_key: "K9", description: "agent" }], AT);
    expect(rekeyed.updated).toEqual(["caravel-agent-10.0.0.5"]);
    expect(rekeyed.state.users["caravel-agent-10.0.0.5"]!.publicKey).toBe("K9");
  });
});

async function publishedAccountLogsIn(store: RouterStore & { putJson(path: string, value: unknown): Promise<number> }, pollMs?: number): Promise<void> {
  const iam = await IamService.open({ store, log: silentLogger(), adminPassword: "admin-pass-1" });
  const stop = await startBootstrapImport({ store, iam, log: silentLogger(), ...(pollMs ? { pollMs } : {}) });
  try {
    // Invalid nodes are ignored without stopping the import.
    await store.putJson("/bootstrap/service-accounts/broken", { uid: "broken", public_key: "nope" });
    await store.putJson("/bootstrap/service-accounts/admin", { uid: "admin", public_key: pair().publicKey });
    const { publicKey, privateKey } = pair();
    await store.putJson("/bootstrap/service-accounts/caravel-agent-10.0.0.5", { uid: "caravel-agent-10.0.0.5", public_key: publicKey, description: "agent on 10.0.0.5" });
    await waitFor(() => iam.current.users["caravel-agent-10.0.0.5"] !== undefined, { timeoutMs: 20_000, message: "the published account imported" });
    expect(iam.current.users["broken"]).toBeUndefined();
    expect(iam.current.users["admin"]!.kind).toBe("user");
    // The account logs in with its private key (the same flow the components use).
    const fetchIam: typeof fetch = async (_url, init) => {
      const issued = await iam.login(JSON.parse(String(init!.body)), "10.0.0.5");
      return new Response(JSON.stringify({ token: issued.token }), { status: 200 });
    };
    const login = new ServiceAccountLogin({ iamUrl: "http://iam.invalid", uid: "caravel-agent-10.0.0.5", privateKeyPem: privateKey, fetch: fetchIam });
    expect(await login.authorization()).toMatch(/^token=ey/);
  } finally {
    stop();
  }
}

describe("startBootstrapImport", () => {
  it("imports accounts published later into a watched Store (coordination file store), and they log in", async () => {
    const store = await createFileStore(join(tmp(), "store"));
    try {
      await publishedAccountLogsIn(store);
    } finally {
      await store.close();
    }
  });

  it("polls a Store without watches (the router's embedded dir store)", async () => {
    const store = await createDirStore(join(tmp(), "store"));
    await publishedAccountLogsIn(store, 50);
  });
});
