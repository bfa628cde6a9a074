/**
 * Where the master is, as Mesos' agents and Mesos-DNS's `zk`/`masters` settings say: a static list
 * (`host:port,…` or URLs; non-leaders redirect to the leader) or `zk://host:2181/mesos`, the leader
 * elected in ZooKeeper under Mesos' layout (the lowest `json.info_` member's MasterInfo). A leader
 * change is reported so that an event stream can be re-opened against the new leader at once.
 * Shared by every process that follows the master (agent, DNS, L4LB).
 */
import { CaravelError } from "@caravel/api";
import { createMasterDetector, leaderEndpoint } from "./detector.js";
import { createZkStore } from "./zk/zk-store.js";

/** What the source logs (a pino logger fits). */
export interface MasterSourceLog {
  info(fields: Record<string, unknown>, message: string): void;
}

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
    .map((m) => (/^https?:\/\//.test(m) ? m.replace(/\/+$/, "") : `http://${m}`));

export const isZkMaster = (spec: string): boolean => spec.trim().startsWith("zk://");

/** Opens the source `--master` names; for zk:// resolves once the detector has looked once. */
export async function openMasterSource(spec: string, log: MasterSourceLog): Promise<MasterSource> {
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
