/**
 * A warm standby over a real ZooKeeper: the follower reads the registry ahead, and once elected after
 * the leader died reads only the buckets the leader wrote since, loading what a cold load would.
 */
import { describe, expect, it } from "vitest";
import { createLeaderElection, createStore, type Store } from "@caravel/coordination";
import { silentLogger, type Logger } from "@caravel/runtime";
import { waitFor } from "@caravel/testing";
import { MasterConfig } from "./config.js";
import { createElector } from "./ha.js";
import { Registry, agentBucket, type RegisteredAgent, type RegistrySnapshot } from "./registry.js";
import { createMaster, type MasterServer } from "./server.js";
import { registryStoreOf } from "./store.js";
import { AgentDriver } from "./test-support/agent-driver.js";
import { zooKeeperForFile } from "./test-support/zookeeper.js";

const zk = zooKeeperForFile();

/** A master campaigning through ZooKeeper, with what it logs at info level and the snapshot it loads. */
async function haMaster(chroot: string) {
  const store: Store = await createStore(zk.url(chroot), { sessionTimeoutMs: 4000 });
  const logs: Array<{ fields: Record<string, unknown>; msg: string }> = [];
  const log: Logger = silentLogger();
  log.info = ((fields: Record<string, unknown>, msg: string) => void logs.push({ fields, msg })) as Logger["info"];
  const elector = await createElector(store, log, () => undefined);
  const config = MasterConfig.parse({ port: 0, zk: zk.url(chroot) });
  const master: MasterServer = await createMaster({ config, log, store: registryStoreOf(store), leadership: elector.leadership });
  const registry = master.ctx.deps.registry;
  const loaded: RegistrySnapshot[] = [];
  const load = registry.load.bind(registry);
  registry.load = async () => {
    const snapshot = await load();
    loaded.push(snapshot);
    return snapshot;
  };
  const { url } = await master.listen();
  const running = elector.run(master);
  /** Stops serving and ends the session without resigning, as a killed master does. */
  const die = async () => {
    await master.close();
    await store.close();
  };
  const stop = async () => {
    await elector.close().catch(() => undefined);
    await die();
  };
  return { master, url, store, registry, logs, loaded, running, die, stop };
}

const operator = (url: string, body: unknown) =>
  fetch(`${url}/api/v1`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("a warm standby master over ZooKeeper", () => {
  it("reads only the buckets the dead leader wrote since the standby read them", async () => {
    const a = await haMaster("/warm");
    await a.running;
    const agents = Array.from({ length: 40 }, (_, i) => new AgentDriver({ masterUrl: a.url, hostname: `agent${i}` }));
    let b: Awaited<ReturnType<typeof haMaster>> | undefined;
    try {
      for (const agent of agents) await agent.subscribe();
      // B follows; its read-ahead started before it campaigned (the same promise resolves here).
      b = await haMaster("/warm");
      expect(await b.registry.standBy()).toBe(true);
      const buckets = (await b.store.children("/registry/agent-buckets")).length;

      // A changes a few agents (three writes, in up to three buckets), then dies.
      const changed = agents.slice(0, 3).map((agent) => agent.agentId);
      for (const id of changed) {
        const res = await operator(a.url, { type: "DEACTIVATE_AGENT", deactivate_agent: { agent_id: { value: id } } });
        expect(res.status).toBe(200);
      }
      const changedBuckets = new Set(changed.map(agentBucket)).size;
      await a.die();

      await b.running;
      expect(b.registry.lastLoad).toEqual({ buckets, read: changedBuckets });
      const leading = b.logs.find((l) => l.msg === "leading");
      expect(leading?.fields).toMatchObject({ registryBuckets: buckets, registryBucketsRead: changedBuckets });
      const metrics = (await (await fetch(`${b.url}/metrics/snapshot`)).json()) as Record<string, number>;
      expect(metrics["registrar/state_fetch_buckets_read"]).toBe(changedBuckets);

      const cold = await new Registry(registryStoreOf(b.store)).load();
      expect(b.loaded).toEqual([cold]);
      expect(cold.agents).toHaveLength(40);
      expect(cold.agents.filter((agent) => agent.deactivated).map((agent) => agent.id).sort()).toEqual([...changed].sort());
      expect([...b.master.ctx.recoveredAgents.keys()].sort()).toEqual(agents.map((agent) => agent.agentId).sort());
    } finally {
      for (const agent of agents) agent.disconnect();
      await a.stop().catch(() => undefined);
      await b?.stop();
    }
  });

  it("has marked a bucket the leader wrote just before its session ended by the time it is elected", async () => {
    const agent = (id: string, deactivated?: boolean): RegisteredAgent => ({
      id,
      info: { hostname: id, port: 5051, resources: [], attributes: [] },
      state: "ADMITTED",
      deactivated,
    });
    const ids = Array.from({ length: 50 }, (_, i) => `S${i}`);
    for (let round = 0; round < 5; round++) {
      const url = zk.url(`/race${round}`);
      const [aStore, bStore] = await Promise.all([createStore(url, { sessionTimeoutMs: 4000 }), createStore(url, { sessionTimeoutMs: 4000 })]);
      try {
        await createLeaderElection(aStore, "/").campaign(Buffer.from("a"));
        const leader = new Registry(registryStoreOf(aStore));
        await Promise.all(ids.map((id) => leader.putAgent(agent(id))));
        const standby = new Registry(registryStoreOf(bStore));
        expect(await standby.standBy()).toBe(true);
        const elected = createLeaderElection(bStore, "/").campaign(Buffer.from("b"));
        await waitFor(async () => (await bStore.children("/")).filter((c) => c.startsWith("json.info_")).length === 2);

        // The bucket's write and the end of A's session leave back to back, as when a leader is killed.
        const changed = ids[round]!;
        void leader.putAgent(agent(changed, true)).catch(() => undefined);
        await new Promise((r) => setImmediate(r));
        void aStore.close();

        await elected;
        const warm = await standby.load();
        const cold = await new Registry(registryStoreOf(bStore)).load();
        expect(cold.agents.find((a) => a.id === changed)?.deactivated).toBe(true);
        expect(warm).toEqual(cold);
        expect(standby.lastLoad?.read).toBe(1);
      } finally {
        await Promise.all([aStore.close(), bStore.close()]);
      }
    }
  });
});
