/**
 * A ZooKeeper session that survives its own death: it wraps one node-zookeeper-client Client at a
 * time, declares the session lost when the server says it expired or when the connection has been
 * down for a whole session timeout (as Mesos does: the server will expire it anyway, and a leader
 * must not go on believing it leads), then starts a fresh session and tells its listeners.
 */
import zookeeper, { type Client } from "node-zookeeper-client";
import { CaravelError } from "@caravel/api";
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
  /** Increases with every new session, so that callbacks from an old one can be ignored. */
  generation = 0;
  readonly sessionTimeoutMs: number;
  private lostTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly url: ZkUrl,
    private readonly hooks: SessionHooks,
    options: SessionOptions = {},
  ) {
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
    this.client = this.start();
  }

  /** Waits for the first connection. */
  async ready(connectTimeoutMs = 15_000): Promise<void> {
    const client = this.client;
    if (client.getState() === zookeeper.State.SYNC_CONNECTED) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.removeListener("connected", done);
        reject(
          new CaravelError("STORE_UNAVAILABLE", `could not connect to ZooKeeper at ${this.url.connectString} within ${connectTimeoutMs} ms; check that it runs and the --zk URL`, {
            details: { hosts: this.url.connectString },
          }),
        );
      }, connectTimeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      client.once("connected", done);
    });
  }

  /** Session id as hex, for logs. */
  get sessionId(): string {
    return this.client.getSessionId().toString("hex");
  }

  /** Ends the session (the server drops its ephemeral nodes at once). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.lostTimer);
    this.client.removeAllListeners();
    this.client.close();
  }

  private start(): Client {
    const client = zookeeper.createClient(this.url.connectString, { sessionTimeout: this.sessionTimeoutMs, spinDelay: 200, retries: 0 });
    if (this.url.auth !== undefined) client.addAuthInfo("digest", Buffer.from(this.url.auth, "utf8"));
    const generation = this.generation;
    let connectedBefore = false;
    client.on("connected", () => {
      if (generation !== this.generation || this.closed) return;
      clearTimeout(this.lostTimer);
      this.lostTimer = undefined;
      this.hooks.onConnected(!connectedBefore);
      connectedBefore = true;
    });
    client.on("disconnected", () => {
      if (generation !== this.generation || this.closed || this.lostTimer || !connectedBefore) return;
      this.lostTimer = setTimeout(() => this.lose(`disconnected from ZooKeeper for ${this.sessionTimeoutMs} ms`), this.sessionTimeoutMs);
    });
    client.on("expired", () => {
      if (generation === this.generation) this.lose("ZooKeeper expired the session");
    });
    client.connect();
    return client;
  }

  private lose(reason: string): void {
    if (this.closed) return;
    clearTimeout(this.lostTimer);
    this.lostTimer = undefined;
    const old = this.client;
    this.generation += 1;
    old.removeAllListeners();
    old.close();
    this.client = this.start();
    this.hooks.onLost(reason);
  }
}
