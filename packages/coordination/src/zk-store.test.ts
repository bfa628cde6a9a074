import zookeeper from "node-zookeeper-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMasterDetector } from "./detector.js";
import { createLeaderElection } from "./election.js";
import { runStoreContract } from "./store.contract.js";
import { startZooKeeper, type ZooKeeperServer } from "./testing/zookeeper.js";
import { eventually } from "./testing/wait.js";
import { createZkStore, type ZkStore } from "./zk/zk-store.js";

let server: ZooKeeperServer;

runStoreContract("ZooKeeper", async () => {
  server = await startZooKeeper();
  const chroot = `/caravel-contract-${process.pid}`;
  return {
    open: () => createZkStore(server.url(chroot), { sessionTimeoutMs: 4000 }),
    teardown: () => server.stop(),
  };
});

describe("ZooKeeper sessions", () => {
  let zk: ZooKeeperServer;
  const stores: ZkStore[] = [];
  beforeAll(async () => {
    zk = await startZooKeeper();
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
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
    const leaderStore = await open("/expiry");
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

    // Force expiry the way Curator's tests do: a second client joins the same session and closes it.
    // The owner may win the session back by reconnecting first, so go on until it has noticed.
    const { sessionId, sessionPassword } = leaderStore.sessionCredentials();
    for (let attempt = 0; attempt < 10 && sessionLost.length === 0; attempt++) {
      await expireSession(zk.connectString, sessionId, sessionPassword);
      await eventually(() => sessionLost.length > 0, "onSessionLost", 10_000).catch(() => undefined);
    }
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

  /**
   * Joins a session with a second client and closes it, which ends the session on the server.
   * Resolves early if the server says the session is already gone.
   */
  async function expireSession(
    connectString: string,
    sessionId: Buffer,
    sessionPassword: Buffer,
  ): Promise<void> {
    const killer = zookeeper.createClient(connectString, {
      sessionTimeout: 2000,
      sessionId,
      sessionPassword,
    } as never);
    try {
      const joined = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 10_000);
        killer.once("connected", () => (clearTimeout(timer), resolve(true)));
        killer.once("expired", () => (clearTimeout(timer), resolve(false)));
        killer.connect();
      });
      if (!joined) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 10_000);
        killer.once("disconnected", () => (clearTimeout(timer), resolve()));
        killer.close();
      });
    } finally {
      killer.removeAllListeners();
      killer.close();
    }
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
