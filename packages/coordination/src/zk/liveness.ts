/**
 * Client-side liveness of one node-zookeeper-client connection, which the library lacks: it pings an
 * idle connection every third of the session timeout but never notices that nothing comes back. A
 * server that is frozen (SIGSTOP, a stuck JVM, a dead host behind a live TCP peer) keeps the TCP
 * connection open, so the library would wait forever and a leading master would go on believing its
 * session is fine while the ensemble expires it.
 *
 * As ZooKeeper's own Java client does, a connection that has read nothing for two thirds of the
 * session timeout is dropped (the library then reconnects to the next server of the connect string),
 * and a connection that was accepted but never answers the connect request is dropped as well.
 * `lastReadAt` tells the session when the server last proved alive, from which the session's expiry
 * is computed.
 *
 * This reaches into the library's ConnectionManager (version 1.1.3 is pinned): `onSocketData` and
 * `onSocketConnected` are looked up on the instance at each connect, so wrapping them there sees every
 * socket the library opens, and destroying `socket` makes it reconnect as on any connection loss.
 */
import zookeeper, { type Client } from "node-zookeeper-client";

interface ConnectionManagerInternals {
  socket?: { destroy(): void; remoteAddress?: string; remotePort?: number; destroyed?: boolean };
  onSocketData(buffer: Buffer): void;
  onSocketConnected(): void;
}

export interface LivenessOptions {
  /** Silence after which a live connection is dropped (Java's readTimeout: 2/3 of the session timeout). */
  readonly readTimeoutMs: () => number;
  /** How long an accepted connection may leave the connect request unanswered. */
  readonly connectAnswerMs: () => number;
  /** Called when a connection is dropped for silence, with why (for logs). */
  readonly onDrop: (reason: string) => void;
  /** Clock; tests may pass their own. */
  readonly now?: () => number;
}

export interface Liveness {
  /** When the server last sent anything on this client's connection (ms since the epoch). */
  lastReadAt(): number;
  /** "host:port" of the server this client's socket is connected to, when it is. */
  server(): string | undefined;
  stop(): void;
}

/** Instruments `client` (before `connect()`); call `stop()` when the client is discarded. */
export function watchLiveness(client: Client, options: LivenessOptions): Liveness {
  const now = options.now ?? Date.now;
  const cm = (client as unknown as { connectionManager: ConnectionManagerInternals }).connectionManager;
  let lastRead = now();
  let acceptedAt: number | undefined;
  const onData = cm.onSocketData.bind(cm);
  const onConnected = cm.onSocketConnected.bind(cm);
  cm.onSocketData = (buffer: Buffer) => {
    lastRead = now();
    acceptedAt = undefined;
    try {
      onData(buffer);
    } catch (error) {
      // The library throws from its socket handler on a frame it cannot parse (seen as "Unknown
      // code" after a server restart): that would kill the process. Drop the connection instead;
      // the library reconnects and the session carries on.
      drop(`unreadable answer from ZooKeeper server ${server() ?? "?"}: ${(error as Error).message}`);
    }
  };
  cm.onSocketConnected = () => {
    acceptedAt = now();
    onConnected();
  };
  const server = (): string | undefined =>
    cm.socket && !cm.socket.destroyed && cm.socket.remotePort !== undefined
      ? `${cm.socket.remoteAddress}:${cm.socket.remotePort}`
      : undefined;
  const drop = (reason: string): void => {
    acceptedAt = undefined;
    options.onDrop(reason);
    cm.socket?.destroy();
  };
  // A tenth of the read timeout: the silence is noticed by 0.73 of the session timeout, which leaves
  // the rest for reconnecting through another server before the ensemble expires the session.
  const period = Math.max(50, Math.floor(options.readTimeoutMs() / 10));
  let lastCheck = now();
  const check = (): void => {
    const t = now();
    // After a stall of this process's event loop (a busy master, GC), answers that arrived meanwhile
    // still wait in the socket: they are read after the timers, so judge the silence on the next tick.
    const stalled = t - lastCheck > 2 * period;
    lastCheck = t;
    if (stalled) return;
    if (client.getState() === zookeeper.State.SYNC_CONNECTED) {
      const silent = t - lastRead;
      if (silent > options.readTimeoutMs())
        drop(`ZooKeeper server ${server() ?? "?"} sent nothing for ${silent} ms`);
    } else if (acceptedAt !== undefined && t - acceptedAt > options.connectAnswerMs()) {
      drop(`ZooKeeper server ${server() ?? "?"} accepted the connection but did not answer for ${t - acceptedAt} ms`);
    }
  };
  const timer = setInterval(check, period);
  timer.unref();
  return { lastReadAt: () => lastRead, server, stop: () => clearInterval(timer) };
}
