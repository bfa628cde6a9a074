/** A warm standby's registry (read-ahead.ts): a warm load reads only what changed and equals a cold one. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Registry, agentBucket, memoryRegistryStore, type RegisteredAgent, type RegistryStore } from "./registry.js";

const BUCKETS = "/registry/agent-buckets";
const bucketPath = (id: string) => `${BUCKETS}/${agentBucket(id)}`;

const agent = (id: string, extra: Partial<RegisteredAgent> = {}): RegisteredAgent => ({
  id,
  info: { hostname: `${id}.example`, port: 5051, resources: [], attributes: [] },
  state: "ADMITTED",
  ...extra,
});

/** A memory store that records bucket reads and writes, and can lose its "session". */
function testStore(inner: RegistryStore = memoryRegistryStore()) {
  const bucketReads: string[] = [];
  const bucketWrites: string[] = [];
  const lostListeners = new Set<(reason: string) => void>();
  const store: RegistryStore = {
    ...inner,
    getJson: (path) => {
      if (path.startsWith(`${BUCKETS}/`)) bucketReads.push(path);
      return inner.getJson(path);
    },
    putJson: (path, value) => {
      if (path.startsWith(`${BUCKETS}/`)) bucketWrites.push(path);
      return inner.putJson(path, value);
    },
    onSessionLost: (listener) => {
      lostListeners.add(listener);
      return () => void lostListeners.delete(listener);
    },
  };
  return { store, bucketReads, bucketWrites, loseSession: () => lostListeners.forEach((l) => l("test")) };
}

/** What a master elected now would load, read from scratch. */
const coldLoad = (store: RegistryStore) => new Registry(store).load();

/** Ids of `count` agents whose buckets are all different (and not in `avoid`). */
function idsInDistinctBuckets(count: number, prefix: string, avoid: ReadonlySet<number> = new Set()): string[] {
  const ids: string[] = [];
  const used = new Set(avoid);
  for (let i = 0; ids.length < count; i++) {
    const id = `${prefix}${i}`;
    if (used.has(agentBucket(id))) continue;
    used.add(agentBucket(id));
    ids.push(id);
  }
  return ids;
}

describe("a warm standby registry", () => {
  it("re-reads only the buckets written since it read them ahead, and loads what a cold load does", async () => {
    const { store, bucketReads } = testStore();
    const leader = new Registry(store);
    // Some buckets in use, the others do not exist yet.
    const ids = idsInDistinctBuckets(20, "S");
    const all = ids.flatMap((id) => [id, `${id}-b`]);
    await Promise.all(all.map((id) => leader.putAgent(agent(id))));
    const used = new Set(all.map(agentBucket));
    await Promise.all([...used].map(async (b) => expect(await store.getJson(`${BUCKETS}/${b}`)).toBeDefined()));

    bucketReads.length = 0;
    const standby = new Registry(store);
    expect(await standby.standBy()).toBe(true);
    expect(bucketReads.sort()).toEqual([...used].map((b) => `${BUCKETS}/${b}`).sort());
    const [fresh] = idsInDistinctBuckets(1, "N", used);
    // A changed agent, a removed one, and an agent in a bucket that did not exist.
    await leader.putAgent(agent(ids[0]!, { state: "UNREACHABLE", since: 7 }));
    await leader.removeAgent(ids[1]!);
    bucketReads.length = 0;
    await leader.putAgent(agent(fresh!));
    await new Promise((r) => setImmediate(r));
    // A new bucket is read ahead as soon as it appears.
    expect(bucketReads).toEqual([bucketPath(fresh!)]);

    bucketReads.length = 0;
    const warm = await standby.load();
    expect(bucketReads.sort()).toEqual([bucketPath(ids[0]!), bucketPath(ids[1]!)].sort());
    expect(standby.lastLoad).toEqual({ buckets: used.size + 1, read: 2 });
    expect(warm).toEqual(await coldLoad(store));
    expect(warm.agents).toHaveLength(40);
    expect(standby.agent(ids[0]!)?.state).toBe("UNREACHABLE");
    expect(standby.agent(ids[1]!)).toBeUndefined();
  });

  it("knows what the store holds after a warm load: unchanged records are not written again", async () => {
    const { store } = testStore();
    const writes: string[] = [];
    const counted: RegistryStore = { ...store, putJson: (path, value) => (writes.push(path), store.putJson(path, value)) };
    const leader = new Registry(counted);
    await Promise.all(["a", "b", "c"].map((id) => leader.putAgent(agent(id))));
    const standby = new Registry(counted);
    await standby.standBy();
    await leader.putAgent(agent("a", { deactivated: true }));
    await standby.load();
    writes.length = 0;
    await Promise.all([standby.putAgent(agent("a", { deactivated: true })), standby.putAgent(agent("b")), standby.putAgent(agent("c"))]);
    expect(writes).toEqual([]);
  });

  it("does not trust a read that was under way when its bucket changed", async () => {
    const inner = memoryRegistryStore();
    const leader = new Registry(inner);
    await leader.putAgent(agent("a"));
    let release: (() => void) | undefined;
    const held = new Promise<void>((r) => (release = r));
    // The standby's read returns what the bucket held when asked, after the leader changed it.
    const store: RegistryStore = {
      ...inner,
      getJson: async <T>(path: string) => {
        const value = await inner.getJson<T>(path);
        if (release) await held;
        return value;
      },
    };
    const standby = new Registry(store);
    const warming = standby.standBy();
    await new Promise((r) => setImmediate(r));
    await leader.putAgent(agent("a", { state: "GONE", since: 1 }));
    release!();
    release = undefined;
    await warming;
    const warm = await standby.load();
    expect(standby.lastLoad).toEqual({ buckets: 1, read: 1 });
    expect(warm.agents).toEqual([agent("a", { state: "GONE", since: 1 })]);
  });

  it("drops everything read ahead when the session is lost, and reads it all again at the next refresh", async () => {
    const { store, loseSession } = testStore();
    const leader = new Registry(store);
    await Promise.all(idsInDistinctBuckets(10, "S").map((id) => leader.putAgent(agent(id))));
    const standby = new Registry(store);
    await standby.standBy({ refreshMs: 0 });
    const refreshing = new Registry(store);
    await refreshing.standBy({ refreshMs: 20 });
    loseSession();
    expect(await standby.load()).toEqual(await coldLoad(store));
    expect(standby.lastLoad).toEqual({ buckets: 10, read: 10 });
    await new Promise((r) => setTimeout(r, 100));
    expect(await refreshing.load()).toEqual(await coldLoad(store));
    expect(refreshing.lastLoad).toEqual({ buckets: 10, read: 0 });
  });

  it("reads stale buckets again every refresh interval", async () => {
    const { store } = testStore();
    const leader = new Registry(store);
    const ids = idsInDistinctBuckets(5, "S");
    await Promise.all(ids.map((id) => leader.putAgent(agent(id))));
    const standby = new Registry(store);
    await standby.standBy({ refreshMs: 20 });
    await leader.putAgent(agent(ids[0]!, { deactivated: true }));
    await new Promise((r) => setTimeout(r, 100));
    expect(await standby.load()).toEqual(await coldLoad(store));
    expect(standby.lastLoad).toEqual({ buckets: 5, read: 0 });
  });

  it("waits for reads still under way when elected during its read-ahead", async () => {
    const { store, bucketReads } = testStore();
    const leader = new Registry(store);
    await Promise.all(idsInDistinctBuckets(8, "S").map((id) => leader.putAgent(agent(id))));
    const standby = new Registry(store);
    const warming = standby.standBy();
    const warm = await standby.load();
    expect(await warming).toBe(true);
    // Each bucket was read once for the warm load (by the standby or by the load), once by the cold one.
    expect(bucketReads).toHaveLength(8);
    expect(warm).toEqual(await coldLoad(store));
    expect(bucketReads).toHaveLength(16);
  });

  it("loads cold from a store that cannot watch", async () => {
    const inner = memoryRegistryStore();
    const { getJson, putJson, delete: remove, children } = inner;
    const store: RegistryStore = { getJson, putJson, delete: remove, children };
    await new Registry(store).putAgent(agent("a"));
    const standby = new Registry(store);
    expect(await standby.standBy()).toBe(false);
    expect((await standby.load()).agents).toEqual([agent("a")]);
    expect(standby.lastLoad).toEqual({ buckets: 1, read: 1 });
  });

  it("loads what a cold load does, whatever is written and lost around the read-ahead", async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `A${i}`);
    const op = fc.oneof(
      fc.record({ put: fc.constantFrom(...ids), state: fc.constantFrom("ADMITTED" as const, "UNREACHABLE" as const, "GONE" as const) }),
      fc.record({ remove: fc.constantFrom(...ids) }),
    );
    type Op = { put: string; state: RegisteredAgent["state"] } | { remove: string };
    const apply = (registry: Registry, ops: Op[]) =>
      Promise.all(ops.map((o) => ("put" in o ? registry.putAgent(agent(o.put, { state: o.state })) : registry.removeAgent(o.remove))));
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 30 }), fc.array(op, { maxLength: 10 }), fc.boolean(), async (before, after, lose) => {
        const { store, bucketReads, bucketWrites, loseSession } = testStore();
        const leader = new Registry(store);
        await apply(leader, before);
        const standby = new Registry(store);
        await standby.standBy({ refreshMs: 0 });
        const existing = (await store.children(BUCKETS)).map((n) => `${BUCKETS}/${n}`);
        bucketWrites.length = 0;
        await apply(leader, after);
        if (lose) loseSession();
        bucketReads.length = 0;
        const warm = await standby.load();
        const warmReads = bucketReads.splice(0).sort();
        expect(warm).toEqual(await coldLoad(store));
        const listed = (await store.children(BUCKETS)).map((n) => `${BUCKETS}/${n}`);
        expect(standby.lastLoad).toEqual({ buckets: listed.length, read: warmReads.length });
        if (lose) {
          expect(warmReads).toEqual(listed.sort());
        } else {
          // Buckets written since they were read ahead are read again; one created since may have been
          // read ahead after it was written (its creation is what told the standby of it).
          expect(warmReads).toEqual(expect.arrayContaining(existing.filter((p) => bucketWrites.includes(p))));
          expect(bucketWrites).toEqual(expect.arrayContaining(warmReads));
        }
      }),
      { numRuns: 100 },
    );
  });
});
