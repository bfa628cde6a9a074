/**
 * Keeps a ClusterView current from the master, as DESIGN.md §6 asks: a full `/master/state` read,
 * then the operator SUBSCRIBE stream for deltas, plus a periodic full resync as a safety net. Events
 * that arrive while a resync is in flight are replayed on top of it, so a resync never undoes them.
 * Redirects from non-leading masters are followed by the client; when a master is lost the next one
 * in the list is tried with backoff, and the last view is kept meanwhile (stale beats empty).
 * The master list may be a function (a ZooKeeper detector's current leader); `reconnect()` drops the
 * stream at once and follows whatever the list names now, which is what a leader change calls for.
 * Shared by caravel-dns and caravel-l4lb.
 */
import { createMasterClient } from "../clients/master.js";
import { sleep, type HttpOptions } from "../clients/http.js";
import type { OperatorEvent } from "../mesos/operator.js";
import { applyOperatorEvent } from "./cluster-events.js";
import { clusterViewFromMasterState, emptyClusterView, type ClusterView } from "./cluster.js";

export interface MasterSyncOptions {
  /** Master base URLs (`http://host:5050`), tried in order; a function is asked before every attempt. */
  masters: readonly string[] | (() => readonly string[]);
  /** Full resync period in ms (0 = never). */
  resyncMs: number;
  /** `event` is the operator event that made this view (absent after a resync). */
  onView(view: ClusterView, cause: "resync" | "event", event?: OperatorEvent): void;
  onError?(error: unknown, master: string): void;
  http?: HttpOptions;
}

export interface MasterSync {
  current(): ClusterView;
  /** True once a first full state has been read. */
  synced(): boolean;
  /** Drops the current stream and follows the master list anew, now (a leader changed). */
  reconnect(): void;
  close(): void;
}

export function startMasterSync(options: MasterSyncOptions): MasterSync {
  let view = emptyClusterView();
  let synced = false;
  let closed = false;
  // Events seen during the resync in flight, tagged with its attempt: a stale resync still waiting on
  // a dead leader must neither block nor clear the new leader's.
  let pending: { signal: AbortSignal; events: unknown[] } | undefined;
  // One controller per attempt, so that reconnect() cuts the stream (or the backoff) of this attempt only.
  let attempt = new AbortController();
  const mastersNow = (): readonly string[] => (typeof options.masters === "function" ? options.masters() : options.masters);

  const publish = (cause: "resync" | "event", event?: OperatorEvent) => {
    if (!closed) options.onView(view, cause, event);
  };

  const resync = async (master: string, signal: AbortSignal): Promise<void> => {
    if (pending?.signal === signal) return; // one resync at a time
    const mine = { signal, events: [] as unknown[] };
    pending = mine;
    try {
      const state = await createMasterClient(master, { timeoutMs: 10_000, ...options.http }).state();
      if (signal.aborted) return; // the leader changed meanwhile: this state may be stale
      let next = clusterViewFromMasterState(state);
      for (const event of mine.events) next = applyOperatorEvent(next, event);
      view = next;
      synced = true;
      publish("resync");
    } finally {
      if (pending === mine) pending = undefined;
    }
  };

  const follow = async (master: string, signal: AbortSignal): Promise<void> => {
    await resync(master, signal);
    const client = createMasterClient(master, options.http);
    let timer: ReturnType<typeof setInterval> | undefined;
    if (options.resyncMs > 0) {
      timer = setInterval(() => {
        resync(master, signal).catch((error: unknown) => options.onError?.(error, master));
      }, options.resyncMs);
      (timer as { unref?: () => void }).unref?.();
    }
    try {
      for await (const event of client.subscribe(signal)) {
        if (closed || signal.aborted) return;
        if (event.type === "HEARTBEAT") continue;
        pending?.events.push(event);
        // SUBSCRIBED carries no leader; keep the one the full state named.
        view = applyOperatorEvent(view, event);
        publish("event", event);
      }
    } finally {
      if (timer) clearInterval(timer);
    }
  };

  void (async () => {
    let backoff = 250;
    for (let i = 0; !closed; i++) {
      if (attempt.signal.aborted) {
        // reconnect(): go at once, from the head of the (new) list.
        attempt = new AbortController();
        backoff = 250;
        i = 0;
      }
      const signal = attempt.signal;
      const masters = mastersNow();
      const master = masters.length ? masters[i % masters.length]! : undefined;
      if (master) {
        try {
          await follow(master, signal);
          backoff = 250;
        } catch (error) {
          if (!closed && !signal.aborted) options.onError?.(error, master);
        }
      }
      if (closed) return;
      if (signal.aborted) continue;
      await sleep(backoff, signal);
      backoff = Math.min(backoff * 2, 5_000);
    }
  })();

  return {
    current: () => view,
    synced: () => synced,
    reconnect() {
      attempt.abort();
    },
    close() {
      closed = true;
      attempt.abort();
    },
  };
}
