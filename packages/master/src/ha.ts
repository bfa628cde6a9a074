/**
 * High availability with --zk: masters campaign through ephemeral-sequential `json.info_` znodes
 * holding their MasterInfo JSON (Mesos' layout, so Mesos-style detectors find the leader). Followers
 * serve redirects; the elected one recovers the registry and leads. A leader that loses its ZooKeeper
 * session steps down at once by exiting, as Mesos aborts: never two leaders; a supervisor restarts it.
 */
import { createLeaderElection, createMasterDetector, type Store } from "@caravel/coordination";
import type { Logger } from "@caravel/runtime";
import type { Leadership } from "./leadership.js";
import type { MasterServer } from "./server.js";

export interface Elector {
  leadership: Leadership;
  /** Campaigns with the master's MasterInfo and makes it lead once elected. */
  run(master: MasterServer): Promise<void>;
  close(): Promise<void>;
}

/**
 * Logs event-loop stalls of `thresholdMs` or more: the ZooKeeper client pings from a timer, so a stall
 * near the session timeout is what makes a busy leader lose its session (and step down).
 */
function watchStalls(log: Logger, thresholdMs: number): () => void {
  const periodMs = 100;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const stalledMs = Math.round(now - last - periodMs);
    last = now;
    if (stalledMs >= thresholdMs) log.warn({ stalledMs }, "event loop stalled: ZooKeeper pings and reads waited meanwhile");
  }, periodMs);
  timer.unref();
  return () => clearInterval(timer);
}

export async function createElector(store: Store, log: Logger, onLost: (reason: string) => void): Promise<Elector> {
  const stopWatch = watchStalls(log, 500);
  const election = createLeaderElection(store, "/");
  const detector = await createMasterDetector(store, "/");
  detector.onChange((leader) => log.info({ leader: leader?.info?.pid ?? null }, "leading master changed"));
  return {
    leadership: { isLeader: () => election.isLeader(), leader: () => detector.current()?.info },
    async run(master) {
      election.onLeadershipLost((reason) => {
        log.fatal({ reason }, "lost leadership; stepping down");
        onLost(reason);
      });
      // Every follower reads the registry ahead while it waits, so that once elected it reads only
      // the buckets written since (the election does not wait for it).
      void master.standBy();
      await election.campaign(Buffer.from(JSON.stringify(master.ctx.masterInfo)));
      log.info({ node: election.memberName() }, "elected leading master");
      await master.lead();
    },
    async close() {
      stopWatch();
      detector.close();
      await election.resign();
    },
  };
}
