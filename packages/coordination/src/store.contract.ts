/**
 * The contract every Store implementation must pass (DESIGN.md §9): run by file-store.test.ts
 * against the embedded store and by zk-store.test.ts against a real ZooKeeper.
 */
import { isCaravelError, type ErrorCode } from "@caravel/api";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createMasterDetector, type MasterDetector } from "./detector.js";
import { createLeaderElection } from "./election.js";
import type { NodeEvent, Store } from "./store.js";
import { eventually, within } from "./testing/wait.js";

/** What a contract run needs: sessions on one shared backend. */
export interface ContractBackend {
  /** Opens a new session (Store handle) on the backend. */
  open(): Promise<Store>;
  /** Frees the backend after the suite. */
  teardown(): Promise<void>;
}

const buf = (text: string): Buffer => Buffer.from(text, "utf8");

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toBeDefined();
  if (!isCaravelError(error, code))
    throw new Error(`expected CaravelError ${code}, got ${String((error as Error)?.stack ?? error)}`);
  expect((error as Error).message.length).toBeGreaterThan(10);
}

/** Registers the contract's describe blocks for one implementation. */
export function runStoreContract(name: string, setup: () => Promise<ContractBackend>): void {
  describe(`Store contract: ${name}`, () => {
    let backend: ContractBackend;
    let opened: Store[] = [];
    let counter = 0;

    const session = async (): Promise<Store> => {
      const store = await backend.open();
      opened.push(store);
      return store;
    };

    beforeAll(async () => {
      backend = await setup();
    });
    afterAll(async () => {
      await backend?.teardown();
    });
    afterEach(async () => {
      for (const store of opened.reverse()) await store.close();
      opened = [];
    });
    // Every test works under its own root, so tests never see each other's nodes.
    const fresh = (): string => `/contract-${process.pid}-${Date.now().toString(36)}-${++counter}`;

    describe("CRUD", () => {
      it("creates, reads, overwrites and deletes a node, creating parents", async () => {
        const s = await session();
        const base = fresh();
        expect(await s.get(`${base}/a/b`)).toBeUndefined();
        expect(await s.put(`${base}/a/b`, buf("one"))).toBe(0);
        expect(await s.get(`${base}/a/b`)).toEqual({ data: buf("one"), version: 0 });
        expect(await s.put(`${base}/a/b`, buf("two"))).toBe(1);
        expect((await s.get(`${base}/a/b`))?.data.toString()).toBe("two");
        expect(await s.children(base)).toEqual(["a"]);
        expect(await s.delete(`${base}/a/b`)).toBe(true);
        expect(await s.delete(`${base}/a/b`)).toBe(false);
        expect(await s.get(`${base}/a/b`)).toBeUndefined();
        expect(await s.get(`${base}/a`)).toEqual({ data: Buffer.alloc(0), version: 0 });
      });

      it("lists children sorted, and none for a missing node", async () => {
        const s = await session();
        const base = fresh();
        await Promise.all(["c", "a", "b"].map((n) => s.put(`${base}/${n}`, buf(n))));
        expect(await s.children(base)).toEqual(["a", "b", "c"]);
        expect(await s.children(`${base}/missing`)).toEqual([]);
      });

      it("creates with create() and refuses to create twice", async () => {
        const s = await session();
        const base = fresh();
        expect(await s.create(`${base}/x`, buf("1"))).toBe(`${base}/x`);
        await expectCode(s.create(`${base}/x`, buf("2")), "STORE_NODE_EXISTS");
      });

      it("deletes recursively only when asked", async () => {
        const s = await session();
        const base = fresh();
        await s.put(`${base}/t/a/b`, buf("x"));
        await s.put(`${base}/t/c`, buf("y"));
        await expectCode(s.delete(`${base}/t`), "STORE_NOT_EMPTY");
        expect(await s.delete(`${base}/t`, { recursive: true })).toBe(true);
        expect(await s.children(base)).toEqual([]);
      });

      it("rejects bad paths and oversized data with INVALID_REQUEST / PAYLOAD_TOO_LARGE", async () => {
        const s = await session();
        const base = fresh();
        for (const bad of [
          "a/b",
          `${base}/`,
          `${base}//x`,
          `${base}/./x`,
          `${base}/../x`,
          `${base}/a\u0001`,
        ]) {
          await expectCode(s.put(bad, buf("x")), "INVALID_REQUEST");
          await expectCode(s.get(bad), "INVALID_REQUEST");
        }
        await expectCode(s.delete("/"), "INVALID_REQUEST");
        await expectCode(s.put(`${base}/big`, Buffer.alloc(1_000_001)), "PAYLOAD_TOO_LARGE");
        await expectCode(s.put(`${base}/v`, buf("x"), { expectedVersion: -2 }), "INVALID_REQUEST");
        expect(await s.put(`${base}/max`, Buffer.alloc(1_000_000, 1))).toBe(0);
      });

      it("reads and writes JSON, validating with a schema", async () => {
        const s = await session();
        const base = fresh();
        await s.putJson(`${base}/j`, { name: "web", instances: 2 });
        expect(await s.getJson(`${base}/j`)).toEqual({ value: { name: "web", instances: 2 }, version: 0 });
        const schema = z.object({ name: z.string(), instances: z.number() });
        expect((await s.getJson(`${base}/j`, schema))?.value.instances).toBe(2);
        await expectCode(s.getJson(`${base}/j`, z.object({ name: z.number() })), "INTERNAL");
        await s.put(`${base}/bad`, buf("{not json"));
        await expectCode(s.getJson(`${base}/bad`), "INTERNAL");
      });
    });

    describe("compare-and-set", () => {
      it("writes only at the expected version", async () => {
        const s = await session();
        const base = fresh();
        await expectCode(s.put(`${base}/n`, buf("x"), { expectedVersion: 0 }), "STORE_NO_NODE");
        expect(await s.put(`${base}/n`, buf("a"), { expectedVersion: -1 })).toBe(0);
        await expectCode(s.put(`${base}/n`, buf("b"), { expectedVersion: -1 }), "STORE_NODE_EXISTS");
        expect(await s.put(`${base}/n`, buf("b"), { expectedVersion: 0 })).toBe(1);
        await expectCode(s.put(`${base}/n`, buf("c"), { expectedVersion: 0 }), "STORE_VERSION_MISMATCH");
        await expectCode(s.delete(`${base}/n`, { expectedVersion: 0 }), "STORE_VERSION_MISMATCH");
        expect(await s.delete(`${base}/n`, { expectedVersion: 1 })).toBe(true);
      });

      it("lets exactly one of two racing sessions win a create-only write", async () => {
        const [a, b] = [await session(), await session()];
        const base = fresh();
        const results = await Promise.allSettled([
          a.put(`${base}/once`, buf("a"), { expectedVersion: -1 }),
          b.put(`${base}/once`, buf("b"), { expectedVersion: -1 }),
        ]);
        expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
        const loser = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
        expect(isCaravelError(loser.reason, "STORE_NODE_EXISTS")).toBe(true);
      });

      it("updateJson retries conflicts so that concurrent increments all count", async () => {
        const [a, b] = [await session(), await session()];
        const base = fresh();
        const bump = (s: Store) =>
          s.updateJson<{ n: number }>(`${base}/counter`, (c) => ({ n: (c?.n ?? 0) + 1 }), {
            maxAttempts: 100,
          });
        await Promise.all(Array.from({ length: 10 }, (_, i) => bump(i % 2 ? a : b)));
        expect((await a.getJson<{ n: number }>(`${base}/counter`))?.value).toEqual({ n: 10 });
        // Returning undefined leaves the node alone.
        const same = await a.updateJson<{ n: number }>(`${base}/counter`, () => undefined);
        expect(same?.version).toBe((await a.get(`${base}/counter`))?.version);
      });
    });

    describe("sequential nodes", () => {
      it("appends increasing 10-digit counters, across sessions", async () => {
        const [a, b] = [await session(), await session()];
        const base = fresh();
        const names: string[] = [];
        for (const s of [a, b, a, b])
          names.push(await s.create(`${base}/q/item-`, buf("x"), { sequential: true }));
        for (const name of names) expect(name).toMatch(new RegExp(`^${base}/q/item-\\d{10}$`));
        const numbers = names.map((n) => Number(n.slice(-10)));
        expect([...numbers].sort((x, y) => x - y)).toEqual(numbers);
        expect(new Set(numbers).size).toBe(4);
        expect(await a.children(`${base}/q`)).toEqual(names.map((n) => n.slice(n.lastIndexOf("/") + 1)));
      });
    });

    describe("ephemeral nodes", () => {
      it("vanish when their owner closes, and cannot have children", async () => {
        const [owner, other] = [await session(), await session()];
        const base = fresh();
        const path = await owner.create(`${base}/members/m-`, buf("me"), {
          ephemeral: true,
          sequential: true,
        });
        await owner.create(`${base}/members/fixed`, buf("me"), { ephemeral: true });
        await other.put(`${base}/members/persistent`, buf("stay"));
        expect((await other.get(path))?.data.toString()).toBe("me");
        await expectCode(owner.create(`${path}/child`, buf("x")), "INVALID_REQUEST");
        await owner.close();
        await eventually(
          async () => (await other.children(`${base}/members`)).join() === "persistent",
          "ephemeral nodes to vanish",
        );
        await expectCode(owner.get(path), "STORE_UNAVAILABLE");
      });
    });

    describe("watches", () => {
      it("report creation, changes and deletion made by another session", async () => {
        const [watcher, writer] = [await session(), await session()];
        const base = fresh();
        const events: NodeEvent[] = [];
        const unwatch = await watcher.watch(`${base}/w`, (e) => events.push(e));
        await writer.put(`${base}/w`, buf("1"));
        await eventually(() => events.length >= 1, "created event");
        await writer.put(`${base}/w`, buf("2"));
        await eventually(() => events.length >= 2, "changed event");
        await writer.delete(`${base}/w`);
        await eventually(() => events.length >= 3, "deleted event");
        expect(events.map((e) => e.type)).toEqual(["created", "changed", "deleted"]);
        expect(events.every((e) => e.path === `${base}/w`)).toBe(true);
        unwatch();
        await writer.put(`${base}/w`, buf("3"));
        await writer.put(`${base}/after`, buf("sync")); // a later write: the unsubscribed watch had its chance
        await eventually(async () => (await watcher.get(`${base}/after`)) !== undefined, "later write");
        expect(events).toHaveLength(3);
      });

      it("report children changes, starting with the current list", async () => {
        const [watcher, writer] = [await session(), await session()];
        const base = fresh();
        const seen: string[][] = [];
        const unwatch = await watcher.watchChildren(`${base}/dir`, (c) => seen.push(c));
        expect(seen).toEqual([[]]);
        await writer.put(`${base}/dir/a`, buf("1"));
        await eventually(() => seen.at(-1)?.join() === "a", "child a");
        await writer.create(`${base}/dir/b`, buf("1"), { ephemeral: true });
        await eventually(() => seen.at(-1)?.join() === "a,b", "child b");
        await writer.put(`${base}/dir/a`, buf("2")); // data change: the set is the same
        await writer.delete(`${base}/dir/a`);
        await eventually(() => seen.at(-1)?.join() === "b", "a removed");
        await writer.close();
        await eventually(() => seen.at(-1)?.join() === "", "ephemeral b gone");
        expect(seen.some((c) => c.join() === "a,a")).toBe(false);
        unwatch();
      });
    });

    describe("leader election and detection", () => {
      const masterInfo = (id: string, port: number) =>
        Buffer.from(
          JSON.stringify({
            id,
            ip: 16777343,
            port,
            hostname: "127.0.0.1",
            pid: `master@127.0.0.1:${port}`,
            address: { hostname: "127.0.0.1", ip: "127.0.0.1", port },
          }),
        );
      let detector: MasterDetector | undefined;
      afterEach(() => detector?.close());

      it("elects the first contender, hands over on resign and on close, and the detector follows", async () => {
        const [a, b, c, observer] = [await session(), await session(), await session(), await session()];
        const base = fresh();
        const path = `${base}/mesos`;
        detector = await createMasterDetector(observer, path);
        expect(detector.current()).toBeUndefined();

        const ea = createLeaderElection(a, path);
        await ea.campaign(masterInfo("master-a", 5050));
        expect(ea.isLeader()).toBe(true);
        expect(ea.memberName()).toMatch(/^json\.info_\d{10}$/);

        const eb = createLeaderElection(b, path);
        let bLeads = false;
        const bWon = eb.campaign(masterInfo("master-b", 5051)).then(() => (bLeads = true));
        // b must have its node (and so a lower sequence) before c asks for one.
        await eventually(() => eb.memberName(), "b's membership node");
        const ec = createLeaderElection(c, path);
        const cWon = ec.campaign(masterInfo("master-c", 5052));
        await eventually(async () => (await observer.children(path)).length === 3, "three members");
        expect(bLeads).toBe(false);
        expect(eb.isLeader()).toBe(false);

        const leaderA = await eventually(
          () => (detector?.current()?.info?.id === "master-a" ? detector.current() : undefined),
          "detector sees a",
        );
        expect(leaderA.node).toBe(ea.memberName());
        expect(leaderA.info?.address?.port).toBe(5050);

        let aLost = false;
        ea.onLeadershipLost(() => (aLost = true));
        await within(ea.resign(), "a to resign");
        await within(bWon, "b to win after a resigned");
        expect(eb.isLeader()).toBe(true);
        expect(ea.isLeader()).toBe(false);
        expect(aLost).toBe(false); // resigning is not losing
        await eventually(() => detector?.current()?.info?.id === "master-b", "detector follows b");

        await within(b.close(), "b to close"); // the leader's session ends: its ephemeral node goes, c takes over
        await within(cWon, "c to win after b closed");
        expect(ec.isLeader()).toBe(true);
        await eventually(() => detector?.current()?.info?.id === "master-c", "detector follows c");

        await ec.resign();
        await eventually(() => detector?.current() === undefined, "no leader");
      });

      it("writes Mesos' layout: json.info_ nodes holding MasterInfo JSON, lowest sequence leads", async () => {
        const [a, raw] = [await session(), await session()];
        const base = fresh();
        const path = `${base}/mesos`;
        // A non-membership child, as Mesos' log_replicas, must be ignored.
        await raw.put(`${path}/log_replicas`, buf(""));
        const election = createLeaderElection(a, path);
        await election.campaign(masterInfo("m1", 5050));
        const children = (await raw.children(path)).filter((n) => n.startsWith("json.info_"));
        expect(children).toEqual([election.memberName()]);
        const stored = JSON.parse((await raw.get(`${path}/${children[0]}`))?.data.toString() ?? "null");
        expect(stored).toMatchObject({ id: "m1", port: 5050, address: { port: 5050 } });
        detector = await createMasterDetector(raw, path);
        expect(detector.current()?.info?.id).toBe("m1");
      });

      it("tells a leader whose node disappears that it lost leadership", async () => {
        const [a, admin] = [await session(), await session()];
        const base = fresh();
        const election = createLeaderElection(a, `${base}/mesos`);
        await election.campaign(masterInfo("m1", 5050));
        const reasons: string[] = [];
        election.onLeadershipLost((r) => reasons.push(r));
        await admin.delete(`${base}/mesos/${election.memberName()}`);
        await eventually(() => reasons.length === 1, "leadership lost");
        expect(election.isLeader()).toBe(false);
      });
    });
  });
}
