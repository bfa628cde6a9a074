/**
 * `--master zk://host:2181/mesos`: the leading master from its ZooKeeper election, read with the
 * coordination package's Mesos-style detector (lowest `json.info_` member, MasterInfo JSON).
 */
import { CaravelError } from "@caravel/api";
import { createMasterDetector, createStore, leaderEndpoint, type Store } from "@caravel/coordination";

export interface ZkLeader {
  /** The leader's origin (http://host:port); NO_LEADER after `timeoutMs` without one. */
  leader(timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

/** Follows the election under `path` in `store` (the root of a zk:// URL's chroot by default). */
export async function followMasterElection(store: Store, path = "/", ownsStore = false): Promise<ZkLeader> {
  const detector = await createMasterDetector(store, path);
  return {
    async leader(timeoutMs = 5_000) {
      const found = await detector.leader(timeoutMs).catch(() => undefined);
      if (!found?.info) throw new CaravelError("NO_LEADER", `no leading master in the ZooKeeper election at ${path}; is caravel-master running with the same --zk?`);
      return `http://${leaderEndpoint(found.info)}`;
    },
    async close() {
      detector.close();
      if (ownsStore) await store.close();
    },
  };
}

/** Opens the zk:// URL and follows the election at its chroot. */
export async function followZkMasters(url: string): Promise<ZkLeader> {
  return followMasterElection(await createStore(url), "/", true);
}
