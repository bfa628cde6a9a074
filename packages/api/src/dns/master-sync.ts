/**
 * Keeps a ClusterView current from the master, as DESIGN.md §6 asks: a full `/master/state` read,
 * then the operator SUBSCRIBE stream for deltas, plus a periodic full resync as a safety net. Events
 * that arrive while a resync is in flight are replayed on top of it, so a resync never undoes them.
 * Redirects from non-leading masters are followed by the client; when a master is lost the next one
 * in the list is tried with backoff, and the last view is kept meanwhile (stale beats empty).
 * Shared by caravel-dns and caravel-l4lb.
 */
import { createMasterClient } from "../clients/master.js";
import { sleep, type HttpOptions } from "../clients/http.js";
import { applyOperatorEvent } from "./cluster-events.js";
import { clusterViewFromMasterState, emptyClusterView, type ClusterView } from "./cluster.js";

export interface MasterSyncOptions {
  /** Master base URLs (`http://host:5050`); tried in order. */
  masters: readonly string[];
  /** Full resync period in ms (0 = never). */
  resyncMs: number;
  onView(view: ClusterView, cause: "resync" | "event"): void;
  onError?(error: unknown, master: string): void;
  http?: HttpOptions;
}

export interface MasterSync {
  current(): ClusterView;
  /** True once a first full state has been read. */
  synced(): boolean;
  close(): void;
}

export function startMasterSync(options: MasterSyncOptions): MasterSync {
  let view = emptyClusterView();
  let synced = false;
  let closed = false;
  let pending: unknown[] | undefined; // events seen during a resync
  const abort = new AbortController();

  const publish = (cause: "resync" | "event") => {
    if (!closed) options.onView(view, cause);
  };

  const resync = async (master: string): Promise<void> => {
    if (pending) return; // one resync at a time
    pending = [];
    try {
      const state = await createMasterClient(master, { timeoutMs: 10_000, ...options.http }).state();
      let next = clusterViewFromMasterState(state);
      for (const event of pending) next = applyOperatorEvent(next, event);
      view = next;
      synced = true;
      publish("resync");
    } finally {
      pending = undefined;
    }
  };

  const follow = async (master: string): Promise<void> => {
    await resync(master);
    const client = createMasterClient(master, options.http);
    let timer: ReturnType<typeof setInterval> | undefined;
    if (options.resyncMs > 0) {
      timer = setInterval(() => {
        resync(master).catch((error: unknown) => options.onError?.(error, master));
      }, options.resyncMs);
      (timer as { unref?: () => void }).unref?.();
    }
    try {
      for await (const event of client.subscribe(abort.signal)) {
        if (closed) return;
        if (event.type === "HEARTBEAT") continue;
        pending?.push(event);
        // SUBSCRIBED carries no leader; keep the one the full state named.
        view = applyOperatorEvent(view, event);
        publish("event");
      }
    } finally {
      if (timer) clearInterval(timer);
    }
  };

  void (async () => {
    let backoff = 250;
    for (let i = 0; !closed; i++) {
      const master = options.masters[i % options.masters.length]!;
      try {
        await follow(master);
        backoff = 250;
      } catch (error) {
        if (!closed) options.onError?.(error, master);
      }
      if (closed) return;
      await sleep(backoff, abort.signal);
      backoff = Math.min(backoff * 2, 5_000);
    }
  })();

  return {
    current: () => view,
    synced: () => synced,
    close() {
      closed = true;
      abort.abort();
    },
  };
}
