/**
 * Forwarding names outside our zones to upstream resolvers: the client's query bytes are sent as
 * they are (so the upstream honours its EDNS size and ID), over UDP with a per-try timeout, failing
 * over to the next resolver; a truncated UDP answer to a TCP client is retried over TCP.
 */
import { createSocket, type Socket } from "node:dgram";
import { readFileSync } from "node:fs";
import { connect, isIP } from "node:net";

export interface Upstream {
  readonly host: string;
  readonly port: number;
}

/** Parses `host`, `host:port` and `[v6]:port` resolver specs. */
export function parseUpstream(spec: string): Upstream {
  const m = /^\[(.+)\](?::(\d+))?$/.exec(spec) ?? /^([^:]+)(?::(\d+))?$/.exec(spec);
  if (m) return { host: m[1]!, port: m[2] ? Number(m[2]) : 53 };
  return { host: spec, port: 53 };
}

/** The `nameserver` lines of a resolv.conf. */
export function resolversFromResolvConf(text: string): string[] {
  return text
    .split("\n")
    .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
    .filter((x): x is string => !!x);
}

export const systemResolvers = (path = "/etc/resolv.conf"): string[] => {
  try {
    return resolversFromResolvConf(readFileSync(path, "utf8"));
  } catch {
    return [];
  }
};

/**
 * One UDP socket per address family for every forwarded query: each query gets a fresh message ID
 * (the client's is restored in the answer), so thousands of concurrent forwards need two sockets,
 * not thousands of file descriptors.
 */
class UdpMux {
  private socket: Socket | undefined;
  private readonly pending = new Map<number, { upstream: Upstream; originalId: number; done: (answer: Buffer | undefined) => void }>();
  private nextId = Math.floor(Math.random() * 0xffff);

  constructor(private readonly family: "udp4" | "udp6") {}

  private open(): Socket {
    if (this.socket) return this.socket;
    const socket = createSocket(this.family);
    socket.on("error", () => undefined);
    socket.on("message", (msg, rinfo) => {
      if (msg.length < 12) return;
      const entry = this.pending.get(msg.readUInt16BE(0));
      // Only the upstream we asked may answer (a spoofed reply from elsewhere is dropped).
      if (!entry || entry.upstream.port !== rinfo.port) return;
      if (isIP(entry.upstream.host) && entry.upstream.host.replace(/^::ffff:/, "") !== rinfo.address.replace(/^::ffff:/, "")) return;
      const answer = Buffer.from(msg);
      answer.writeUInt16BE(entry.originalId, 0);
      entry.done(answer);
    });
    socket.unref();
    return (this.socket = socket);
  }

  query(query: Buffer, upstream: Upstream, timeoutMs: number): Promise<Buffer | undefined> {
    const socket = this.open();
    return new Promise((resolve) => {
      let id = this.nextId;
      for (let tries = 0; this.pending.has(id) && tries < 0x10000; tries++) id = (id + 1) & 0xffff;
      if (this.pending.has(id)) return resolve(undefined); // 65,536 queries in flight: shed load
      this.nextId = (id + 1) & 0xffff;
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const done = (answer: Buffer | undefined) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(answer);
      };
      this.pending.set(id, { upstream, originalId: query.readUInt16BE(0), done });
      const out = Buffer.from(query);
      out.writeUInt16BE(id, 0);
      socket.send(out, upstream.port, upstream.host, (error) => error && done(undefined));
    });
  }

  close(): void {
    for (const entry of this.pending.values()) entry.done(undefined);
    this.socket?.close();
    this.socket = undefined;
  }
}

function tcpQuery(query: Buffer, upstream: Upstream, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: upstream.host, port: upstream.port });
    let buffered = Buffer.alloc(0);
    const done = (value: Buffer | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on("error", () => done(undefined));
    socket.on("connect", () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(query.length);
      socket.write(Buffer.concat([length, query]));
    });
    socket.on("data", (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) done(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
    });
  });
}

/** How long an upstream that timed out is tried last. */
const DOWN_MS = 30_000;

export interface Forwarder {
  forward(query: Buffer, tcp: boolean): Promise<Buffer | undefined>;
  close(): void;
}

/** Tries each upstream in order until one answers within `timeoutMs`; undefined when all fail. */
export function createForwarder(upstreams: readonly Upstream[], timeoutMs: number): Forwarder {
  const downUntil = new Map<Upstream, number>();
  const v4 = new UdpMux("udp4");
  const v6 = new UdpMux("udp6");
  return {
    close() {
      v4.close();
      v6.close();
    },
    async forward(query, tcp) {
      // Upstreams that just timed out go last for a while, so one dead resolver does not cost
      // every query a full timeout (failover that remembers).
      const now = Date.now();
      const ordered = [...upstreams].sort((a, b) => Number((downUntil.get(a) ?? 0) > now) - Number((downUntil.get(b) ?? 0) > now));
      for (const upstream of ordered) {
        let answer = await (upstream.host.includes(":") ? v6 : v4).query(query, upstream, timeoutMs);
        const truncated = answer !== undefined && answer.length >= 4 && (answer.readUInt16BE(2) & 0x0200) !== 0;
        if (tcp && (truncated || answer === undefined)) answer = (await tcpQuery(query, upstream, timeoutMs)) ?? answer;
        if (answer) {
          downUntil.delete(upstream);
          return answer;
        }
        downUntil.set(upstream, Date.now() + DOWN_MS);
      }
      return undefined;
    },
  };
}
