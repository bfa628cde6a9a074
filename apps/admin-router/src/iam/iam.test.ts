import { describe, expect, it } from "vitest";
import { addAcl, addGroup, addUser, emptyState, identityOf, removeGroup, removeUser, setGrant, setMembership, type IamState } from "./model.js";
import { hashPassword, verifyPassword } from "./passwords.js";
import { LoginLimiter } from "./rate-limit.js";
import { filterAudit } from "../audit/audit.js";

const user = (uid: string) => ({ uid, description: "", kind: "user" as const, createdAt: "2026-01-01T00:00:00Z" });

describe("IAM model", () => {
  it("derives identities from direct and group grants; superuser from the superuser ACL", () => {
    let s: IamState = emptyState([]);
    s = addUser(addUser(s, user("alice")), user("root"));
    s = addGroup(s, "team-a", "");
    s = setMembership(s, "team-a", "alice", true);
    s = setGrant(s, "caravel:service:/team-a", { gid: "team-a" }, "full", true);
    s = setGrant(s, "caravel:mesos:master:state", { uid: "alice" }, "read", true);
    s = setGrant(s, "caravel:superuser", { uid: "root" }, "full", true);
    expect(identityOf(s, "alice")).toEqual({ uid: "alice", superuser: false, grants: [{ rid: "caravel:service:/team-a", actions: ["full"], via: "team-a" }, { rid: "caravel:mesos:master:state", actions: ["read"] }] });
    expect(identityOf(s, "root")?.superuser).toBe(true);
    expect(identityOf(s, "ghost")).toBeUndefined();
    const withoutGroup = removeGroup(s, "team-a");
    expect(identityOf(withoutGroup, "alice")?.grants).toEqual([{ rid: "caravel:mesos:master:state", actions: ["read"] }]);
    const withoutAlice = removeUser(s, "alice");
    expect(withoutAlice.groups["team-a"]!.members).toEqual([]);
    expect(withoutAlice.acls["caravel:mesos:master:state"]!.users).toEqual({});
  });

  it("refuses duplicates and unknown principals without changing the state", () => {
    const s = addUser(emptyState([]), user("alice"));
    expect(() => addUser(s, user("alice"))).toThrow(/already exists/);
    expect(() => setGrant(s, "caravel:x", { uid: "bob" }, "read", true)).toThrow(/bob does not exist/);
    expect(() => setMembership(s, "nope", "alice", true)).toThrow(/group nope/);
    expect(() => addAcl(addAcl(s, "caravel:x", ""), "caravel:x", "")).toThrow(/already exists/);
    expect(s.users["alice"]).toBeDefined();
  });
});

describe("passwords and login limits", () => {
  it("hashes with scrypt and verifies in constant time", async () => {
    const hash = await hashPassword("s3cret-pass");
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword("s3cret-pass", hash)).toBe(true);
    expect(await verifyPassword("wrong", hash)).toBe(false);
    expect(await verifyPassword("x", "garbage")).toBe(false);
  });

  it("blocks a uid after N failures within the window, per client after M, and forgets after the window", () => {
    const limiter = new LoginLimiter({ maxFailuresPerUid: 3, maxFailuresPerClient: 5, windowMs: 60_000 });
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfterMs("bob", "1.1.1.1", i)).toBe(0);
      limiter.fail("bob", "1.1.1.1", i);
    }
    expect(limiter.retryAfterMs("bob", "2.2.2.2", 10)).toBe(60_000 - 10);
    expect(limiter.retryAfterMs("carol", "1.1.1.1", 10)).toBe(0);
    limiter.fail("carol", "1.1.1.1", 11);
    limiter.fail("dave", "1.1.1.1", 12);
    expect(limiter.retryAfterMs("erin", "1.1.1.1", 13)).toBeGreaterThan(0);
    expect(limiter.retryAfterMs("bob", "3.3.3.3", 60_001)).toBe(0);
    limiter.succeed("carol");
  });
});

describe("audit filters", () => {
  const rec = (i: number, uid: string, method: string, result: "allowed" | "denied") => ({ id: String(i), time: `2026-01-0${i}T00:00:00.000Z`, uid, client: "c", method, path: `/marathon/v2/apps/${i}`, status: 200, result });
  const records = [rec(1, "a", "POST", "allowed"), rec(2, "b", "DELETE", "denied"), rec(3, "a", "PUT", "allowed")];
  it("filters by uid, method, result, path prefix and time, keeping the newest `limit`", () => {
    expect(filterAudit(records, { uid: "a" }).map((r) => r.id)).toEqual(["1", "3"]);
    expect(filterAudit(records, { result: "denied" }).map((r) => r.id)).toEqual(["2"]);
    expect(filterAudit(records, { since: "2026-01-02T00:00:00Z" }).map((r) => r.id)).toEqual(["2", "3"]);
    expect(filterAudit(records, { until: "2026-01-01T12:00:00Z", path_prefix: "/marathon" }).map((r) => r.id)).toEqual(["1"]);
    expect(filterAudit(records, { limit: 1 }).map((r) => r.id)).toEqual(["3"]);
  });
});

describe("IAM over the coordination Store", () => {
  it("creates the first admin once and reloads the same state, keys included", async () => {
    const { mkdtemp, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { createFileStore } = await import("@caravel/coordination");
    const { silentLogger } = await import("@caravel/runtime");
    const { IamService } = await import("./service.js");
    const dir = await mkdtemp(join(tmpdir(), "iam-store-"));
    try {
      const created: string[] = [];
      const store = await createFileStore(dir);
      const first = await IamService.open({ store, log: silentLogger(), adminPassword: "first-admin-pw", onAdminCreated: (uid) => void created.push(uid) });
      const { token } = await first.login({ uid: "admin", password: "first-admin-pw" }, "c");
      const again = await IamService.open({ store, log: silentLogger() });
      expect(created).toEqual(["admin"]);
      expect(again.current.users["admin"]).toBeDefined();
      await expect(again.authenticate({ authorization: `token=${token}` })).resolves.toMatchObject({ identity: { uid: "admin", superuser: true } });
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
