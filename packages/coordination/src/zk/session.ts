/**
 * A ZooKeeper session that survives its own death: it wraps one node-zookeeper-client Client at a
 * time, declares the session lost when the server says it expired or when no server has answered
 * for a whole session timeout (as Mesos does: the ensemble will expire it anyway, and a leader must
 * not go on believing it leads), then starts a fresh session and tells its listeners.
 *
 * "Answered" is measured from the last byte a server sent (liveness.ts), not from the moment the
 * connection dropped: a frozen server keeps its TCP connection open, and by the time the silence is
 * noticed (2/3 of the timeout) the ensemble's clock on the session has long been running.
 */
import zookeeper, { type Client } from "node-zookeeper-client";
import { CaravelError } from "@caravel/api";
import { watchLiveness, type Liveness } from "./liveness.js";
import type { ZkUrl } from "./url.js";

export interface SessionOptions {
  /** Session timeout asked of the server (it clamps it to [2, 20] × tickTime). Default 10 s. */
  readonly sessionTimeoutMs?: number;
  /** How long to wait for the first connection before failing. Default 15 s. */
  readonly connectTimeoutMs?: number;
}

/** Events of a session's life; `lost` means every ephemeral node and server-side watch is gone. */
export interface SessionHooks {
  /** A (re)connection is up; `fresh` is true when it is a new session. */
  onConnected(fresh: boolean): void;
  onLost(reason: string): void;
}

export class ZkSession {
  client: Client;
  private liveness: Liveness;
  /** Why the last connection was dropped for silence, for the reason given when the session is lost. */
  private lastDrop: string | undefined;
  /** Increases with every new session, so that callbacks from an old one can be ignored. */
  generation = 0;
  readonly sessionTimeoutMs: number;
  private lostTimer: NodeJS.Timeout | undefined;
  private readonly connectedWaiters = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly url: ZkUrl,
    private readonly hooks: SessionHooks,
    options: SessionOptions = {},
  ) {
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
    [this.client, this.liveness] = this.start();
  }

  /** "host:port" of the ZooKeeper server the session is connected through now, if any. */
  get server(): string | undefined {
    return this.client.getState() === zookeeper.State.SYNC_CONNECTED ? this.liveness.server() : undefined;
  }

  /** The timeout the server granted (it may clamp what was asked), never more than asked. */
  private timeoutMs(client: Client = this.client): number {
    return Math.min(this.sessionTimeoutMs, client.getSessionTimeout() || this.sessionTimeoutMs);
  }

  /** Waits for the first connection. */
  async ready(connectTimeoutMs = 15_000): Promise<void> {
    if (this.client.getState() === zookeeper.State.SYNC_CONNECTED) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.connectedWaiters.delete(done);
        reject(
          new CaravelError(
            "STORE_UNAVAILABLE",
            `could not connect to ZooKeeper at ${this.url.connectString} within ${connectTimeoutMs} ms; check that it runs and the --zk URL`,
            {
              details: { hosts: this.url.connectString },
            },
          ),
        );
      }, connectTimeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.connectedWaiters.add(done);
    });
  }

  /** Session id as hex, for logs. */
  get sessionId(): string {
    return this.client.getSessionId().toString("hex");
  }

  /** Ends the session (the server drops its ephemeral nodes at once); waits up to 2 s for the server. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.lostTimer);
    this.liveness.stop();
    const client = this.client;
    // Dropping every listener also drops the library's own "state" → "disconnected" translation,
    // so the end of the close is seen on "state" itself.
    client.removeAllListeners();
    if (client.getState() !== zookeeper.State.SYNC_CONNECTED) {
      forceClose(client);
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      client.on("state", (state) => {
        if (state === zookeeper.State.DISCONNECTED) {
          clearTimeout(timer);
          resolve();
        }
      });
      client.close();
    });
    forceClose(client);
  }

  private start(): [Client, Liveness] {
    const client = zookeeper.createClient(this.url.connectString, {
      sessionTimeout: this.sessionTimeoutMs,
      spinDelay: 200,
      retries: 0,
    });
    if (this.url.auth !== undefined) client.addAuthInfo("digest", Buffer.from(this.url.auth, "utf8"));
    const generation = this.generation;
    const readTimeoutMs = (): number => Math.floor((this.timeoutMs(client) * 2) / 3);
    const liveness = watchLiveness(client, {
      readTimeoutMs,
      // What is left of the session once silence was noticed, shared by the servers still to try.
      connectAnswerMs: () => Math.max(100, Math.floor(this.timeoutMs(client) / 3 / this.url.hosts.length)),
      onDrop: (reason) => {
        if (generation === this.generation) this.lastDrop = reason;
      },
    });
    let connectedBefore = false;
    const startedAt = Date.now();
    // node-zookeeper-client waits forever for the answer to its connect request once the TCP
    // connection is up (seen when a restarting server accepts before it serves). A client that has
    // no session yet has nothing to lose, so after a session timeout it is replaced by a fresh one.
    const watchdog = setInterval(() => {
      if (generation !== this.generation || this.closed || connectedBefore) clearInterval(watchdog);
      else if (Date.now() - startedAt >= this.sessionTimeoutMs) {
        clearInterval(watchdog);
        this.generation += 1;
        liveness.stop();
        forceClose(client);
        [this.client, this.liveness] = this.start();
      }
    }, 250);
    watchdog.unref();
    client.on("connected", () => {
      if (generation !== this.generation || this.closed) return;
      clearTimeout(this.lostTimer);
      this.lostTimer = undefined;
      this.lastDrop = undefined;
      const fresh = !connectedBefore;
      connectedBefore = true;
      this.hooks.onConnected(fresh);
      for (const waiter of [...this.connectedWaiters]) waiter();
      this.connectedWaiters.clear();
    });
    client.on("disconnected", () => {
      if (generation !== this.generation || this.closed || this.lostTimer || !connectedBefore) return;
      // The ensemble expires the session a timeout after it last heard from us, which was before
      // the last answer we read; a small margin covers that gap and the expiry of the new leader's
      // rival, so that the leader gives up no later than the ensemble does.
      const timeoutMs = this.timeoutMs(client);
      const margin = Math.min(1000, Math.floor(timeoutMs / 10));
      const silentMs = Date.now() - liveness.lastReadAt();
      this.lostTimer = setTimeout(
        () =>
          this.lose(
            `no ZooKeeper server answered for ${timeoutMs - margin} ms of a ${timeoutMs} ms session` +
              (this.lastDrop ? ` (${this.lastDrop})` : " (disconnected)"),
          ),
        Math.max(0, timeoutMs - margin - silentMs),
      );
    });
    client.on("expired", () => {
      if (generation === this.generation) this.lose("ZooKeeper expired the session");
    });
    client.connect();
    return [client, liveness];
  }

  private lose(reason: string): void {
    if (this.closed) return;
    clearTimeout(this.lostTimer);
    this.lostTimer = undefined;
    this.generation += 1;
    this.liveness.stop();
    forceClose(this.client);
    [this.client, this.liveness] = this.start();
    this.hooks.onLost(reason);
  }
}

/** Closes a client and its socket, even one stuck waiting for a connect answer. */
function forceClose(client: Client): void {
  client.removeAllListeners();
  client.close();
  // The library only ends the socket once the server answers the close; do not wait for that.
  (
    client as unknown as { connectionManager?: { socket?: { destroy(): void } } }
  ).connectionManager?.socket?.destroy();
}
