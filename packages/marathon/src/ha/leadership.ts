/**
 * Who leads among several Marathons. With the embedded store there is one Marathon and it always
 * leads; with `--zk` they elect through the coordination package's LeaderElection (ephemeral-sequential
 * `member_` nodes under `/leader`, each holding `{hostPort, id}`): the lowest node leads, and everyone
 * watches the children, so that followers always know whom to proxy to. Only the leader subscribes to
 * the master and runs deployments; a leader that loses its ZooKeeper session steps down by exiting
 * (as Marathon and the Mesos master do), so that there are never two.
 */
import { randomUUID } from "node:crypto";
import { createLeaderElection, memberships, type Store, type Unsubscribe } from "@caravel/coordination";
import type { Logger } from "@caravel/runtime";

export interface MarathonLeadership {
  /** True when several Marathons may run (the API reports `ha`). */
  readonly ha: boolean;
  isLeader(): boolean;
  /** `host:port` of the leading Marathon, when one is known. */
  leaderHostPort(): string | undefined;
  /**
   * Campaigns with this Marathon's `host:port` and calls `onElected` once it leads; `onLost` when it
   * stops leading without having resigned. Resolves once the campaign is under way (a sole Marathon:
   * once `onElected` has run).
   */
  campaign(self: string, onElected: () => Promise<void>, onLost: (reason: string) => void): Promise<void>;
  close(): Promise<void>;
}

/** One Marathon, always the leader (embedded store). */
export function soleLeadership(): MarathonLeadership {
  let self: string | undefined;
  return {
    ha: false,
    isLeader: () => true,
    leaderHostPort: () => self,
    async campaign(hostPort, onElected) {
      self = hostPort;
      await onElected();
    },
    close: async () => undefined,
  };
}

const ELECTION_PATH = "/leader";
const LABEL = "member_";

/** Leader election through the Store (ZooKeeper), with a watch on who leads. */
export async function storeLeadership(store: Store, log: Logger): Promise<MarathonLeadership> {
  const election = createLeaderElection(store, ELECTION_PATH, { label: LABEL });
  let leader: string | undefined;
  let generation = 0;
  const refresh = async (children: string[]) => {
    const mine = ++generation;
    const first = memberships(children)[0];
    let next: string | undefined;
    if (first) {
      try {
        const node = await store.getJson<{ hostPort?: string }>(`${ELECTION_PATH}/${first}`);
        next = node?.value.hostPort;
      } catch (error) {
        log.warn({ err: (error as Error).message }, "could not read the leader's node");
      }
    }
    // A slower read of an older membership list must not overwrite a newer answer.
    if (mine !== generation) return;
    if (next !== leader) log.info({ leader: next ?? null }, "leading Marathon changed");
    leader = next;
  };
  const unwatch: Unsubscribe = await store.watchChildren(ELECTION_PATH, (children) => void refresh(children));
  let closed = false;
  return {
    ha: true,
    isLeader: () => election.isLeader(),
    leaderHostPort: () => leader,
    async campaign(self, onElected, onLost) {
      election.onLeadershipLost((reason) => {
        if (!closed) onLost(reason);
      });
      election
        .campaign(Buffer.from(JSON.stringify({ hostPort: self, id: randomUUID() })))
        .then(async () => {
          log.info({ node: election.memberName() }, "elected leading Marathon");
          leader = self;
          await onElected();
        })
        .catch((error: unknown) => {
          if (!closed) onLost(`campaign failed: ${(error as Error).message}`);
        });
    },
    async close() {
      closed = true;
      unwatch();
      await election.resign().catch(() => undefined);
    },
  };
}
