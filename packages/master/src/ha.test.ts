/** Masters electing through a real ZooKeeper: Mesos' znode layout, follower redirects, failover with registry recovery. */
import { describe, expect, it } from "vitest";
import { createStore, type Store } from "@caravel/coordination";
import { silentLogger } from "@caravel/runtime";
import { waitFor } from "@caravel/testing";
import { MasterConfig } from "./config.js";
import { createElector, type Elector } from "./ha.js";
import { createMaster, type MasterServer } from "./server.js";
import { registryStoreOf } from "./store.js";
import { AgentDriver } from "./test-support/agent-driver.js";
import { zooKeeperForFile } from "./test-support/zookeeper.js";

const zk = zooKeeperForFile();

interface HaMaster {
  master: MasterServer;
  url: string;
  store: Store;
  elector: Elector;
  lost: string[];
  running: Promise<void>;
  stop(): Promise<void>;
}

async function startHaMaster(): Promise<HaMaster> {
  const store = await createStore(zk.url("/mesos"), { sessionTimeoutMs: 4000 });
  const lost: string[] = [];
  const log = silentLogger();
  const elector = await createElector(store, log, (reason) => lost.push(reason));
  const config = MasterConfig.parse({ port: 0, allocation_interval: 0.05, zk: zk.url("/mesos") });
  const master = await createMaster({ config, log, store: registryStoreOf(store), leadership: elector.leadership });
  const { url } = await master.listen();
  const running = elector.run(master).catch(() => undefined);
  return {
    master,
    url,
    store,
    elector,
    lost,
    running,
    stop: async () => {
      await elector.close();
      await master.close();
      await store.close();
    },
  };
}

describe("master HA over ZooKeeper", () => {
  it("elects one leader in Mesos' layout, redirects from followers, and fails over with the registry", async () => {
    const first = await startHaMaster();
    await first.running;
    const second = await startHaMaster();
    try {
      const members = await waitFor(async () => {
        const found = (await first.store.children("/")).filter((c) => c.startsWith("json.info_"));
        return found.length === 2 ? found : undefined;
      });
      const leaderNode = await first.store.get(`/${members.sort()[0]}`);
      expect(JSON.parse(leaderNode!.data.toString())).toMatchObject({ id: first.master.ctx.masterInfo.id, address: { ip: "127.0.0.1" } });

      const port = new URL(first.url).port;
      await waitFor(() => second.elector.leadership.leader()?.id === first.master.ctx.masterInfo.id);
      for (const path of ["/master/state", "/state.json?jsonp=x", "/api/v1"]) {
        const res = await fetch(`${second.url}${path}`, { redirect: "manual", method: path === "/api/v1" ? "POST" : "GET" });
        expect(res.status, path).toBe(307);
        expect(res.headers.get("location")).toBe(`//127.0.0.1:${port}${path}`);
      }
      expect((await fetch(`${second.url}/health`)).status).toBe(200);
      expect((await fetch(`${first.url}/master/redirect`, { redirect: "manual" })).headers.get("location")).toBe(`//127.0.0.1:${port}`);

      const agent = new AgentDriver({ masterUrl: first.url });
      await agent.subscribe();
      const agentId = agent.agentId;
      agent.disconnect();

      await first.stop();
      await second.running;
      expect(second.elector.leadership.isLeader()).toBe(true);
      const state = (await (await fetch(`${second.url}/master/state`)).json()) as { recovered_slaves: Array<{ id: string }> };
      expect(state.recovered_slaves.map((s: { id: string }) => s.id)).toEqual([agentId]);
      const back = new AgentDriver({ masterUrl: second.url, id: agentId });
      await back.subscribe();
      expect(back.agentId).toBe(agentId);
      await waitFor(async () => ((await (await fetch(`${second.url}/master/slaves`)).json()) as { slaves: Array<{ id: string }> }).slaves.some((s) => s.id === agentId));
      back.disconnect();
      expect(first.lost).toEqual([]);
    } finally {
      await second.stop();
    }
  });
});

describe("static master lists", () => {
  it("lets a scheduler subscribe through a list whose first master is down", async () => {
    const { startTestMaster } = await import("./test-support/master.js");
    const { subscribeScheduler } = await import("@caravel/api");
    const master = await startTestMaster();
    try {
      const sub = await subscribeScheduler(["http://127.0.0.1:1", master.url], { frameworkInfo: { user: "root", name: "list" } });
      expect(sub.masterUrl).toBe(master.url);
      sub.close();
    } finally {
      await master.close();
    }
  });
});
