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

export async function createElector(store: Store, log: Logger, onLost: (reason: string) => void): Promise<Elector> {
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
      await election.campaign(Buffer.from(JSON.stringify(master.ctx.masterInfo)));
      log.info({ node: election.memberName() }, "elected leading master");
      await master.lead();
    },
    async close() {
      detector.close();
      await election.resign();
    },
  };
}
