import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AGENT_BUCKETS, Registry, agentBucket, memoryRegistryStore, type RegisteredAgent, type RegistryStore } from "./registry.js";
import { sameJson } from "./state/same-json.js";

/** A store that counts writes, to see which ones the registry skips. */
function countingStore(): RegistryStore & { writes: string[]; reads: string[] } {
  const inner = memoryRegistryStore();
  const writes: string[] = [];
  const reads: string[] = [];
  return {
    ...inner,
    writes,
    reads,
    putJson: (path, value) => (writes.push(path), inner.putJson(path, value)),
    getJson: (path) => (reads.push(path), inner.getJson(path)),
  };
}

const agent = (id: string, extra: Partial<RegisteredAgent> = {}): RegisteredAgent => ({
  id,
  info: { hostname: `${id}.example`, port: 5051, resources: [], attributes: [] },
  state: "ADMITTED",
  ...extra,
});

const bucketPath = (id: string) => `/registry/agent-buckets/${agentBucket(id)}`;

describe("Registry", () => {
  it("does not write again a record it already holds (re-registration after a failover)", async () => {
    const store = countingStore();
    await new Registry(store).putAgent(agent("a1"));
    const recovered = new Registry(store);
    await recovered.load();
    store.writes.length = 0;
    await recovered.putAgent(agent("a1"));
    expect(store.writes).toEqual([]);
    await recovered.putAgent(agent("a1", { state: "UNREACHABLE", since: 5 }));
    expect(store.writes).toEqual([bucketPath("a1")]);
    expect(recovered.agent("a1")?.state).toBe("UNREACHABLE");
    await recovered.putAgent(agent("a1", { state: "UNREACHABLE", since: 5 }));
    expect(store.writes).toHaveLength(1);
  });

  it("compares records as JSON values: key order aside, undefined members absent", () => {
    const canonical = (v: unknown): string =>
      JSON.stringify(v, (_k, x: unknown) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([p], [q]) => (p < q ? -1 : 1))) : x));
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        expect(sameJson(a, JSON.parse(JSON.stringify(a)))).toBe(true);
        expect(sameJson(a, b)).toBe(canonical(a) === canonical(b));
      }),
    );
    expect(sameJson({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameJson({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(sameJson({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(sameJson({ a: {} }, { a: [] })).toBe(false);
  });

  it("writes again after a failed write", async () => {
    const inner = memoryRegistryStore();
    let fail = true;
    const store: RegistryStore = { ...inner, putJson: (path, value) => (fail ? Promise.reject(new Error("down")) : inner.putJson(path, value)) };
    const registry = new Registry(store);
    await expect(registry.putAgent(agent("a2"))).rejects.toThrow("down");
    fail = false;
    await registry.putAgent(agent("a2"));
    expect(await inner.getJson(bucketPath("a2"))).toMatchObject({ a2: { id: "a2" } });
  });

  it("writes a burst of registrations as one write per bucket and recovers them with one read per bucket", async () => {
    const store = countingStore();
    const registry = new Registry(store);
    const ids = Array.from({ length: 1000 }, (_, i) => `S${i}`);
    await Promise.all(ids.map((id) => registry.putAgent(agent(id))));
    expect(store.writes.length).toBeLessThanOrEqual(AGENT_BUCKETS);
    const recovered = new Registry(store);
    const snapshot = await recovered.load();
    expect(snapshot.agents.map((a) => a.id).sort()).toEqual([...ids].sort());
    expect(store.reads.filter((p) => p.startsWith("/registry/agent-buckets/")).length).toBeLessThanOrEqual(AGENT_BUCKETS);
  });

  it("keeps changes made while a bucket's write is in flight for the next write", async () => {
    const inner = memoryRegistryStore();
    let release: (() => void) | undefined;
    const store: RegistryStore = {
      ...inner,
      putJson: async (path, value) => {
        if (!release) await new Promise<void>((r) => (release = r));
        return inner.putJson(path, value);
      },
    };
    const registry = new Registry(store);
    const first = registry.putAgent(agent("a3"));
    await new Promise((r) => setImmediate(r));
    const second = registry.putAgent(agent("a3", { deactivated: true }));
    release!();
    await Promise.all([first, second]);
    expect(await inner.getJson(bucketPath("a3"))).toMatchObject({ a3: { deactivated: true } });
  });

  it("removes an agent from its bucket", async () => {
    const store = countingStore();
    const registry = new Registry(store);
    await registry.putAgent(agent("a4"));
    await registry.removeAgent("a4");
    expect((await new Registry(store).load()).agents).toEqual([]);
    expect(registry.agent("a4")).toBeUndefined();
  });

  it("reads the one-node-per-agent layout and moves it into buckets", async () => {
    const store = countingStore();
    await store.putJson("/registry/agents/old1", agent("old1", { deactivated: true }));
    await store.putJson("/registry/agents/old2", agent("old2"));
    const snapshot = await new Registry(store).load();
    expect(snapshot.agents.map((a) => a.id).sort()).toEqual(["old1", "old2"]);
    expect(await store.children("/registry/agents")).toEqual([]);
    const again = await new Registry(store).load();
    expect(again.agents.find((a) => a.id === "old1")?.deactivated).toBe(true);
  });

  it("spreads ids over the buckets", () => {
    const counts = new Array<number>(AGENT_BUCKETS).fill(0);
    for (let i = 0; i < 10_000; i++) counts[agentBucket(`${"x".repeat(i % 7)}-S${i}`)]!++;
    expect(Math.min(...counts)).toBeGreaterThan(10_000 / AGENT_BUCKETS / 2);
    expect(Math.max(...counts)).toBeLessThan((10_000 / AGENT_BUCKETS) * 2);
  });
});
