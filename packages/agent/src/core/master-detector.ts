/**
 * Where the master is: a static list (`host:port[,host:port]` or a URL) or, with `zk://host:2181/path`,
 * the leader elected in ZooKeeper under Mesos' layout (`json.info_` nodes holding MasterInfo), which
 * is how Mesos agents find a leading master. A leader change makes the agents re-subscribe.
 */
import { createMasterDetector, createZkStore, leaderEndpoint } from "@caravel/coordination";
import type { Logger } from "@caravel/runtime";
import { masterUrls } from "../config.js";

export interface MasterSource {
  /** Base URLs to try now (the current leader for zk://; may be empty while there is none). */
  urls(): string[];
  /** Calls `listener` when the leader changes. */
  onChange(listener: () => void): void;
  close(): Promise<void>;
}

export async function masterSource(spec: string, log: Logger): Promise<MasterSource> {
  if (!spec.trim().startsWith("zk://")) {
    const urls = masterUrls(spec);
    return { urls: () => urls, onChange: () => undefined, close: async () => undefined };
  }
  const store = await createZkStore(spec.trim());
  const detector = await createMasterDetector(store, "/");
  const current = (): string[] => {
    const info = detector.current()?.info;
    return info ? [`http://${leaderEndpoint(info)}`] : [];
  };
  log.info({ zk: spec, leader: current()[0] }, "detecting the leading master in ZooKeeper");
  return {
    urls: current,
    onChange: (listener) => {
      detector.onChange((leader) => {
        log.info({ leader: leader?.info ? leaderEndpoint(leader.info) : undefined }, "the leading master changed");
        listener();
      });
    },
    close: async () => {
      detector.close();
      await store.close();
    },
  };
}
