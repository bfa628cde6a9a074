import zookeeper from "node-zookeeper-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMasterDetector } from "./detector.js";
import { createLeaderElection } from "./election.js";
import { runStoreContract } from "./store.contract.js";
import {
  startZooKeeper,
  startZooKeeperEnsemble,
  type ZooKeeperEnsemble,
  type ZooKeeperServer,
} from "./testing/zookeeper.js";
import { startProxy, type CuttableProxy } from "./testing/proxy.js";
import { eventually, within } from "./testing/wait.js";
import { createZkStore, type ZkStore } from "./zk/zk-store.js";

let server: ZooKeeperServer;

runStoreContract("ZooKeeper", async () => {
  server = await startZooKeeper();
  const chroot = `/caravel-contract-${process.pid}`;
  return {
    // The default 10 s: a loaded machine must not time out operations or sessions.
    open: () => createZkStore(server.url(chroot), { sessionTimeoutMs: 10_000 }),
    teardown: () => server.stop(),
  };
});

describe("ZooKeeper sessions", () => {
  let zk: ZooKeeperServer;
  const stores: ZkStore[] = [];
  beforeAll(async () => {
    zk = await startZooKeeper();
  });
  let proxy: CuttableProxy | undefined;
  afterAll(async () => {
    for (const s of stores) await s.close();
    await proxy?.close();
    await zk?.stop();
  });
  const open = async (chroot: string, sessionTimeoutMs = 2000): Promise<ZkStore> => {
    const store = await createZkStore(zk.url(chroot), { sessionTimeoutMs, connectTimeoutMs: 30_000 });
    stores.push(store);
    return store;
  };
  const info = (id: string) =>
    Buffer.from(JSON.stringify({ id, ip: 16777343, port: 5050, address: { ip: "127.0.0.1", port: 5050 } }));

  it("applies the chroot: nodes live under it on the server", async () => {
    const inRoot = await open("/chroot-test/deep");
    const plain = await open("/");
    await inRoot.put("/a", Buffer.from("x"));
    expect((await plain.get("/chroot-test/deep/a"))?.data.toString()).toBe("x");
    expect(await inRoot.children("/")).toEqual(["a"]);
  });

  it("on session expiry: onSessionLost fires, the leader learns it lost, and the store goes on with a new session", async () => {
    proxy = await startProxy(zk.port);
    const leaderStore = await createZkStore(`zk://127.0.0.1:${proxy.port}/expiry`, {
      sessionTimeoutMs: 8000,
    });
    stores.push(leaderStore);
    const observer = await open("/expiry");
    const election = createLeaderElection(leaderStore, "/mesos");
    await election.campaign(info("m1"));
    const detector = await createMasterDetector(observer, "/mesos");
    await eventually(() => detector.current()?.info?.id === "m1", "detector sees m1");

    const sessionLost: string[] = [];
    const leadershipLost: string[] = [];
    leaderStore.onSessionLost((reason) => sessionLost.push(reason));
    election.onLeadershipLost((reason) => leadershipLost.push(reason));
    const before = leaderStore.sessionId;

    // Partition the leader from a server that keeps running, end its session from another client
    // (which the leader can no longer steal back), heal: the server answers "expired".
    const { sessionId, sessionPassword } = leaderStore.sessionCredentials();
    proxy.cut();
    await expireSession(zk.connectString, sessionId, sessionPassword);
    proxy.heal();
    await eventually(() => sessionLost.length > 0, "onSessionLost");
    await eventually(() => leadershipLost.length > 0, "onLeadershipLost");
    expect(sessionLost).toHaveLength(1);
    expect(leadershipLost).toHaveLength(1);
    expect(sessionLost[0]).toMatch(/expired/);
    expect(election.isLeader()).toBe(false);
    await eventually(() => detector.current() === undefined, "detector sees no leader");

    // The store reconnected by itself with a new session; the owner re-creates its ephemerals.
    await eventually(
      async () => (await leaderStore.put("/alive", Buffer.from("1"))) >= 0,
      "store usable again",
    );
    expect(leaderStore.sessionId).not.toBe(before);
    const again = createLeaderElection(leaderStore, "/mesos");
    await again.campaign(info("m1-again"));
    await eventually(
      () => detector.current()?.info?.id === "m1-again",
      "detector sees the re-elected leader",
    );
  }, 120_000);

  it("when the server dies: the leader steps down after a session timeout, and watches resume after a restart", async () => {
    const leaderStore = await open("/crash");
    const observer = await open("/crash", 8000);
    const election = createLeaderElection(leaderStore, "/mesos");
    await election.campaign(info("m1"));
    const lost: string[] = [];
    election.onLeadershipLost((reason) => lost.push(reason));
    const seen: string[][] = [];
    await observer.watchChildren("/dir", (c) => seen.push(c));

    await zk.kill();
    await eventually(
      () => lost.length === 1,
      "leader told it lost leadership while ZooKeeper is down",
      30_000,
    );
    expect(lost[0]).toMatch(/disconnected/);
    expect(election.isLeader()).toBe(false);

    await zk.restart();
    await eventually(
      async () => (await leaderStore.put("/dir/x", Buffer.from("1"))) >= 0,
      "store usable after restart",
      60_000,
    );
    await eventually(() => seen.at(-1)?.join() === "x", "children watch fired after the restart", 60_000);
  }, 180_000);

  it("when the server freezes (SIGSTOP, TCP still open): the leader steps down within the session, and the store works after a thaw", async () => {
    const leaderStore = await open("/freeze");
    const election = createLeaderElection(leaderStore, "/mesos");
    await election.campaign(info("m1"));
    const lost: string[] = [];
    election.onLeadershipLost((reason) => lost.push(reason));
    expect(leaderStore.server).toBe(zk.connectString);

    zk.freeze();
    try {
      await eventually(() => lost.length === 1, "leader told it lost leadership while ZooKeeper is frozen", 30_000);
      expect(lost[0]).toMatch(/no ZooKeeper server answered/);
      expect(lost[0]).toMatch(/sent nothing for \d+ ms/);
      expect(election.isLeader()).toBe(false);
    } finally {
      zk.thaw();
    }
    await eventually(
      async () => (await leaderStore.put("/after-thaw", Buffer.from("1"))) >= 0,
      "store usable after the thaw",
      60_000,
    );
  }, 120_000);

  /** Joins a session with a second client and closes it, which ends the session on the server. */
  async function expireSession(
    connectString: string,
    sessionId: Buffer,
    sessionPassword: Buffer,
  ): Promise<void> {
    const killer = zookeeper.createClient(connectString, {
      sessionTimeout: 8000,
      sessionId,
      sessionPassword,
    } as never);
    await within(
      new Promise<void>((resolve) => {
        killer.once("connected", () => resolve());
        killer.connect();
      }),
      "the second client to join the session",
    );
    await within(
      new Promise<void>((resolve) => {
        killer.once("disconnected", () => resolve());
        killer.close();
      }),
      "the second client to close the session",
    );
  }

  it("with user:pass in the URL, creates nodes others can read but not write", async () => {
    const owner = await createZkStore(`zk://caravel:s3cret@${zk.connectString}/secure`, {
      sessionTimeoutMs: 4000,
    });
    stores.push(owner);
    const anonymous = await open("/");
    await owner.put("/config", Buffer.from("v1"));
    expect((await anonymous.get("/secure/config"))?.data.toString()).toBe("v1");
    const error = await anonymous.put("/secure/config", Buffer.from("hacked")).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe("FORBIDDEN");
    expect((error as Error).message).toContain("user:password");
    expect(await owner.put("/config", Buffer.from("v2"))).toBe(1);
  });

  it("fails to connect with STORE_UNAVAILABLE naming the hosts", async () => {
    const error = await createZkStore("zk://127.0.0.1:1/x", { connectTimeoutMs: 500 }).catch(
      (e: unknown) => e,
    );
    expect((error as { code?: string }).code).toBe("STORE_UNAVAILABLE");
    expect((error as Error).message).toContain("127.0.0.1:1");
  });
});

// In this file rather than its own, so that its three JVMs never run beside the other servers.
describe("ZooKeeper ensemble (3 nodes)", () => {
  let ensemble: ZooKeeperEnsemble;
  const stores: ZkStore[] = [];
  beforeAll(async () => {
    ensemble = await startZooKeeperEnsemble(3);
  }, 120_000);
  afterAll(async () => {
    for (const store of stores) await store.close();
    await ensemble?.stop();
  });

  it("keeps the session, the ephemeral leader node and leadership when the quorum leader dies", async () => {
    const url = ensemble.url("/caravel");
    expect(url).toMatch(/^zk:\/\/127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+\/caravel$/);
    const store = await createZkStore(url, { sessionTimeoutMs: 8000 });
    const observer = await createZkStore(url, { sessionTimeoutMs: 8000 });
    stores.push(store, observer);
    const sessionsLost: string[] = [];
    store.onSessionLost((reason) => sessionsLost.push(reason));
    const election = createLeaderElection(store, "/mesos");
    await election.campaign(Buffer.from(JSON.stringify({ id: "m1", ip: 0, port: 5050 })));
    const detector = await createMasterDetector(observer, "/mesos");
    await eventually(() => detector.current()?.info?.id === "m1", "detector sees m1");

    const quorumLeader = await eventually(() => ensemble.leader(), "a quorum leader", 60_000);
    await quorumLeader.kill();
    // Writes resume once the two survivors have elected a new quorum leader.
    await eventually(async () => (await store.put("/after", Buffer.from("1"))) >= 0, "writes resume", 60_000);
    expect(sessionsLost).toEqual([]);
    expect(election.isLeader()).toBe(true);
    expect(detector.current()?.info?.id).toBe("m1");
    await quorumLeader.restart();
    await eventually(
      async () => (await quorumLeader.mode()) === "follower",
      "old leader rejoins as follower",
      60_000,
    );
  }, 180_000);

  it("moves to another server, keeping session and leadership, when the one it is connected to freezes", async () => {
    const url = ensemble.url("/caravel-freeze");
    // A long session: the silence is noticed after 2/3 of it, and the move must fit in the rest.
    const store = await createZkStore(url, { sessionTimeoutMs: 12_000 });
    stores.push(store);
    const sessionsLost: string[] = [];
    store.onSessionLost((reason) => sessionsLost.push(reason));
    const election = createLeaderElection(store, "/mesos");
    await election.campaign(Buffer.from(JSON.stringify({ id: "m-freeze", ip: 0, port: 5050 })));
    const before = { server: store.server, session: store.sessionId };
    const node = ensemble.nodes.find((n) => `127.0.0.1:${n.port}` === before.server);
    expect(node, `the store's server ${before.server} is one of the ensemble`).toBeDefined();

    node!.freeze();
    try {
      await eventually(
        () => store.server !== undefined && store.server !== before.server,
        "the store reconnected through another server",
        60_000,
      );
      await eventually(async () => (await store.put("/moved", Buffer.from("1"))) >= 0, "writes work", 60_000);
    } finally {
      node!.thaw();
    }
    expect(sessionsLost).toEqual([]);
    expect(store.sessionId).toBe(before.session);
    expect(election.isLeader()).toBe(true);
    await eventually(async () => (await node!.mode()) !== undefined, "the thawed node serves again", 60_000);
  }, 180_000);

  it("a frozen quorum leader: writes resume once the others elect a new one, and the store never holds a dead leadership", async () => {
    const url = ensemble.url("/caravel-freeze-leader");
    const quorumLeader = await eventually(() => ensemble.leader(), "a quorum leader", 60_000);
    // The client picks a server at random: open sessions until one goes through the quorum leader,
    // the case the library alone never notices.
    let store: ZkStore | undefined;
    for (let attempt = 0; attempt < 30 && !store; attempt++) {
      const candidate = await createZkStore(url, { sessionTimeoutMs: 6000 });
      if (candidate.server === `127.0.0.1:${quorumLeader.port}`) store = candidate;
      else await candidate.close();
    }
    expect(store, "a session through the quorum leader").toBeDefined();
    stores.push(store!);
    const sessionsLost: string[] = [];
    store!.onSessionLost((reason) => sessionsLost.push(reason));
    const election = createLeaderElection(store!, "/mesos");
    await election.campaign(Buffer.from(JSON.stringify({ id: "m-freeze-leader", ip: 0, port: 5050 })));
    const leadershipLost: string[] = [];
    election.onLeadershipLost((reason) => leadershipLost.push(reason));

    quorumLeader.freeze();
    try {
      await eventually(async () => (await store!.put("/after", Buffer.from("1"))) >= 0, "writes resume", 90_000);
      expect(store!.server).not.toBe(`127.0.0.1:${quorumLeader.port}`);
      // Either the session survived the election (and with it the leadership), or it was lost and
      // the election said so: never a leader flag on a session the ensemble forgot.
      expect(leadershipLost.length).toBe(sessionsLost.length > 0 ? 1 : 0);
      expect(election.isLeader()).toBe(sessionsLost.length === 0);
    } finally {
      quorumLeader.thaw();
    }
    await eventually(async () => (await quorumLeader.mode()) === "follower", "the thawed leader rejoins as follower", 90_000);
  }, 240_000);
});
