/**
 * The userspace data plane: a node:net TCP proxy and a node:dgram UDP relay per VIP, for when the
 * kernel plane is unavailable (not root, no iptables). Health-aware (weight-0 backends get nothing
 * new), a failed connect penalises the backend and retries the next one, and a removed backend's
 * connections drain for `drainMs` before they are cut.
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { execFile } from "node:child_process";
import { connect, createServer, type Server, type Socket } from "node:net";
import type { VipEntry } from "@caravel/api";
import { BackendPool, type Balance } from "./balancer.js";
import type { DataPlane } from "./types.js";

export interface UserspacePlaneOptions {
  balance?: Balance;
  /** How long connections to a removed backend may continue. */
  drainMs?: number;
  /** How long a backend that refused a connection is skipped. */
  penaltyMs?: number;
  udpIdleMs?: number;
  /** Called before binding a VIP address (e.g. to add it to `lo` as root); returns its cleanup. */
  ensureAddress?: (ip: string) => Promise<() => Promise<void>>;
}

interface Listener {
  entry: VipEntry;
  pool: BackendPool;
  close(): void;
  /** Live connections by backend key, for draining. */
  conns: Map<string, Set<Socket | UdpSocket>>;
}

/**
 * As root, binds VIP addresses outside 127.0.0.0/8 by putting them on `lo` (this kernel has no dummy
 * driver); returns the cleanup. Loopback addresses need nothing.
 */
export async function addLoopbackAddress(ip: string): Promise<() => Promise<void>> {
  if (ip.startsWith("127.")) return async () => undefined;
  const ipCmd = (args: string[]) => new Promise<void>((resolve, reject) => execFile("ip", args, (error) => (error ? reject(error) : resolve())));
  await ipCmd(["addr", "replace", `${ip}/32`, "dev", "lo"]);
  return () => ipCmd(["addr", "del", `${ip}/32`, "dev", "lo"]).catch(() => undefined);
}

/** Ends a proxied TCP connection or a UDP session socket. */
const end = (c: Socket | UdpSocket): void => {
  if ("destroy" in c) c.destroy();
  else closeUdp(c);
};

/** Closes a dgram socket that may already be closed (drain, idle timer and shutdown can race). */
function closeUdp(socket: UdpSocket): void {
  try {
    socket.close();
  } catch {
    // already closed
  }
}

const id = (e: VipEntry) => `${e.protocol}/${e.ip}:${e.port}`;

export function createUserspacePlane(options: UserspacePlaneOptions = {}): DataPlane {
  const drainMs = options.drainMs ?? 30_000;
  const penaltyMs = options.penaltyMs ?? 5_000;
  const listeners = new Map<string, Listener>();
  const addresses = new Map<string, () => Promise<void>>();

  const track = (l: Listener, key: string, conn: Socket | UdpSocket) => {
    let set = l.conns.get(key);
    if (!set) l.conns.set(key, (set = new Set()));
    set.add(conn);
    return () => set.delete(conn);
  };

  async function tcpListener(entry: VipEntry, pool: BackendPool): Promise<Listener> {
    const l: Listener = { entry, pool, conns: new Map(), close: () => undefined };
    // No Nagle on either leg: a proxy must not hold back a small request or response (HAProxy too).
    const server: Server = createServer({ noDelay: true }, (client) => {
      client.pause();
      client.on("error", () => client.destroy());
      const tried = new Set<string>();
      const attempt = () => {
        const chosen = pool.pick(Date.now(), tried);
        if (!chosen) return client.destroy();
        const key = BackendPool.key(chosen.backend);
        tried.add(key);
        chosen.active++;
        const upstream = connect({ host: chosen.backend.ip, port: chosen.backend.port, noDelay: true });
        let connected = false;
        const untrack = track(l, key, upstream);
        const done = () => {
          chosen.active = Math.max(0, chosen.active - 1);
          untrack();
        };
        upstream.once("connect", () => {
          connected = true;
          client.pipe(upstream).on("error", () => undefined);
          upstream.pipe(client);
          client.resume();
        });
        upstream.on("error", () => {
          if (!connected) {
            pool.penalise(key, Date.now() + penaltyMs);
            done();
            return attempt();
          }
          client.destroy();
          return undefined;
        });
        upstream.on("close", () => {
          if (connected) {
            done();
            client.destroy();
          }
        });
        client.on("close", () => upstream.destroy());
        return undefined;
      };
      attempt();
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(entry.port, entry.ip, () => {
        server.removeListener("error", reject);
        server.on("error", () => undefined); // e.g. EMFILE on accept: keep serving
        resolve();
      });
    });
    l.close = () => server.close();
    return l;
  }

  async function udpListener(entry: VipEntry, pool: BackendPool): Promise<Listener> {
    const l: Listener = { entry, pool, conns: new Map(), close: () => undefined };
    const socket = createSocket("udp4");
    const sessions = new Map<string, { upstream: UdpSocket; key: string; timer: NodeJS.Timeout }>();
    socket.on("error", () => undefined);
    socket.on("message", (msg, rinfo) => {
      const client = `${rinfo.address}:${rinfo.port}`;
      let session = sessions.get(client);
      if (!session || !pool.has(session.key)) {
        if (session) {
          // Its backend left or turned unhealthy: this client moves to another one.
          clearTimeout(session.timer);
          closeUdp(session.upstream);
          sessions.delete(client);
        }
        const chosen = pool.pick(Date.now());
        if (!chosen) return;
        const upstream = createSocket("udp4");
        const key = BackendPool.key(chosen.backend);
        const untrack = track(l, key, upstream);
        upstream.on("error", () => pool.penalise(key, Date.now() + penaltyMs));
        upstream.on("message", (reply) => socket.send(reply, rinfo.port, rinfo.address));
        upstream.on("close", untrack);
        upstream.connect(chosen.backend.port, chosen.backend.ip);
        session = { upstream, key, timer: setTimeout(() => undefined, 0) };
        sessions.set(client, session);
      }
      const s = session;
      clearTimeout(s.timer);
      s.timer = setTimeout(() => {
        if (sessions.get(client) === s) sessions.delete(client);
        closeUdp(s.upstream);
      }, options.udpIdleMs ?? 30_000);
      const send = () => s.upstream.send(msg);
      try {
        send();
      } catch {
        s.upstream.once("connect", send);
      }
    });
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(entry.port, entry.ip, () => {
        socket.removeListener("error", reject);
        resolve();
      });
    });
    l.close = () => {
      for (const s of sessions.values()) {
        clearTimeout(s.timer);
        closeUdp(s.upstream);
      }
      closeUdp(socket);
    };
    return l;
  }

  /** Cuts connections to backends that left, after the drain period. */
  const drain = (l: Listener, keys: string[]) => {
    setTimeout(() => {
      for (const key of keys) {
        if (l.pool.has(key)) continue;
        for (const c of l.conns.get(key) ?? []) end(c);
        l.conns.delete(key);
      }
    }, drainMs).unref();
  };

  return {
    kind: "userspace",
    async apply(table) {
      const wanted = new Map(table.filter((e) => e.backends.length).map((e) => [id(e), e]));
      for (const [key, l] of listeners) {
        if (wanted.has(key)) continue;
        l.close();
        listeners.delete(key);
        drain(l, [...l.conns.keys()]);
        l.pool.set([]);
      }
      for (const [key, entry] of wanted) {
        let l = listeners.get(key);
        if (!l) {
          const pool = new BackendPool(options.balance ?? "round_robin");
          pool.set(entry.backends);
          if (options.ensureAddress && !addresses.has(entry.ip)) addresses.set(entry.ip, await options.ensureAddress(entry.ip));
          l = entry.protocol === "udp" ? await udpListener(entry, pool) : await tcpListener(entry, pool);
          listeners.set(key, l);
          continue;
        }
        const gone = [...l.conns.keys()].filter((k) => !entry.backends.some((b) => BackendPool.key(b) === k && b.weight > 0));
        l.pool.set(entry.backends);
        l.entry = entry;
        if (gone.length) drain(l, gone);
      }
    },
    async close() {
      for (const l of listeners.values()) {
        l.close();
        for (const set of l.conns.values()) for (const c of set) end(c);
      }
      listeners.clear();
      for (const cleanup of addresses.values()) await cleanup();
      addresses.clear();
    },
  };
}
