/**
 * Where the master is, as Mesos-DNS's `zk` and `masters` settings say: a static list
 * (`host:port,…` or URLs; non-leaders redirect to the leader) or `zk://host:2181/mesos`, the leader
 * elected in ZooKeeper under Mesos' layout (the lowest `json.info_` member's MasterInfo). A leader
 * change is reported so that the event stream can be re-opened against the new leader at once.
 */
import { createMasterDetector, createZkStore, leaderEndpoint } from "@caravel/coordination";
import { CaravelError } from "@caravel/api";
import type { Logger } from "@caravel/runtime";

export interface MasterSource {
  /** Base URLs to try now: the static list, or the current leader (empty while there is none). */
  urls(): string[];
  /** Calls `listener` whenever the elected leader changes (never for a static list). */
  onChange(listener: () => void): void;
  /** True for `zk://` detection. */
  readonly detecting: boolean;
  close(): Promise<void>;
}

/** `host:port` or URL list → base URLs (`http://host:port`). */
export const staticMasterUrls = (spec: string): string[] =>
  spec
    .split(",")
    .map((m) => m.trim())
    .filter(Boolean)
    .map((m) => (/^https?:\/\//.test(m) ? m : `http://${m}`));

export const isZkMaster = (spec: string): boolean => spec.trim().startsWith("zk://");

/** Opens the source `--master` names; for zk:// resolves once the detector has looked once. */
export async function openMasterSource(spec: string, log: Logger): Promise<MasterSource> {
  if (!isZkMaster(spec)) {
    const urls = staticMasterUrls(spec);
    return { urls: () => urls, onChange: () => undefined, detecting: false, close: async () => undefined };
  }
  const store = await createZkStore(spec.trim()).catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    throw new CaravelError("STORE_UNAVAILABLE", `--master ${spec.trim()}: ${message}`, { path: "master", cause: error });
  });
  try {
    // The URL's path is the election path (Mesos' /mesos); the store is chrooted there.
    const detector = await createMasterDetector(store, "/");
    const urls = (): string[] => {
      const info = detector.current()?.info;
      return info ? [`http://${leaderEndpoint(info)}`] : [];
    };
    log.info({ zk: spec, leader: urls()[0] ?? null }, "detecting the leading master in ZooKeeper");
    detector.onChange(() => log.info({ leader: urls()[0] ?? null }, "the leading master changed"));
    return {
      urls,
      detecting: true,
      onChange: (listener) => void detector.onChange(() => listener()),
      close: async () => {
        detector.close();
        await store.close();
      },
    };
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
}
