/**
 * Finds the leading master the way Mesos' detectors do (mesos-core.md §7.1): list the children of
 * the election path, take the membership node with the smallest sequence number, read its data.
 * `json.info_` nodes hold MasterInfo JSON, which is parsed; other labels are reported raw.
 */
import { CaravelError, MasterInfo } from "@caravel/api";
import { memberships } from "./election.js";
import { joinPath, sequenceOf, validatePath } from "./paths.js";
import type { Store, Unsubscribe } from "./store.js";

/** The current leader as a detector sees it. */
export interface DetectedLeader {
  /** Membership node name, e.g. "json.info_0000000042". */
  readonly node: string;
  readonly sequence: number;
  readonly data: Buffer;
  /** The parsed MasterInfo when the node holds one. */
  readonly info: MasterInfo | undefined;
}

export interface MasterDetector {
  /** The leader right now, or undefined when there is none. */
  current(): DetectedLeader | undefined;
  /** Called with the new leader (or undefined) whenever it changes. */
  onChange(listener: (leader: DetectedLeader | undefined) => void): Unsubscribe;
  /** Resolves with the next leader, now if there is one; rejects after `timeoutMs`. */
  leader(timeoutMs?: number): Promise<DetectedLeader>;
  /** Stops watching. */
  close(): void;
}

/** Parses MasterInfo JSON, or undefined when the data is not one. */
export function parseMasterInfo(data: Buffer): MasterInfo | undefined {
  try {
    const parsed = MasterInfo.safeParse(JSON.parse(data.toString("utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** "host:port" of a leader, from `address` when present, as mesos-go does. */
export function leaderEndpoint(info: MasterInfo): string {
  const host = info.address?.hostname ?? info.address?.ip ?? info.hostname ?? "";
  return `${host}:${info.address?.port ?? info.port}`;
}

/** Starts a detector on the election at `path`; resolves once it has looked once. */
export async function createMasterDetector(store: Store, path: string): Promise<MasterDetector> {
  const base = validatePath(path, "detector path");
  let current: DetectedLeader | undefined;
  let closed = false;
  const listeners = new Set<(leader: DetectedLeader | undefined) => void>();
  let chain: Promise<void> = Promise.resolve();

  const update = async (children: string[]): Promise<void> => {
    let next: DetectedLeader | undefined;
    for (const node of memberships(children)) {
      // The lowest member may vanish between listing and reading: then the next one leads.
      const read = await store.get(joinPath(base, node)).catch(() => undefined);
      if (!read) continue;
      next = {
        node,
        sequence: sequenceOf(node) ?? 0,
        data: read.data,
        info: node.startsWith("json.info_") ? parseMasterInfo(read.data) : undefined,
      };
      break;
    }
    if (closed || next?.node === current?.node) return;
    current = next;
    for (const listener of [...listeners]) {
      try {
        listener(current);
      } catch (error) {
        process.emitWarning(
          `a MasterDetector listener threw: ${(error as Error)?.stack ?? String(error)}`,
          "CaravelDetector",
        );
      }
    }
  };
  const unwatch = await store.watchChildren(base, (children) => {
    // Serialised, so that a slow read cannot overwrite a newer answer.
    chain = chain.then(() => update(children)).catch(() => undefined);
  });
  await chain;

  const detector: MasterDetector = {
    current: () => current,
    onChange(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    leader(timeoutMs = 30_000) {
      if (current) return Promise.resolve(current);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          stop();
          reject(
            new CaravelError(
              "NO_LEADER",
              `no leader appeared under ${base} within ${timeoutMs} ms; check that a master is running`,
            ),
          );
        }, timeoutMs);
        const stop = detector.onChange((leader) => {
          if (!leader) return;
          clearTimeout(timer);
          stop();
          resolve(leader);
        });
      });
    },
    close() {
      closed = true;
      listeners.clear();
      unwatch();
    },
  };
  return detector;
}
