/**
 * Forwarding names outside our zones to upstream resolvers: the client's query bytes are sent as
 * they are (so the upstream honours its EDNS size and ID), over UDP with a per-try timeout, failing
 * over to the next resolver; a truncated UDP answer to a TCP client is retried over TCP.
 */
import { createSocket } from "node:dgram";
import { readFileSync } from "node:fs";
import { connect } from "node:net";

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

function udpQuery(query: Buffer, upstream: Upstream, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(upstream.host.includes(":") ? "udp6" : "udp4");
    const done = (value: Buffer | undefined) => {
      clearTimeout(timer);
      socket.close();
      resolve(value);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on("error", () => done(undefined));
    socket.on("message", (msg) => {
      if (msg.length >= 2 && msg.readUInt16BE(0) === query.readUInt16BE(0)) done(msg);
    });
    socket.send(query, upstream.port, upstream.host);
  });
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

export interface Forwarder {
  forward(query: Buffer, tcp: boolean): Promise<Buffer | undefined>;
}

/** Tries each upstream in order until one answers within `timeoutMs`; undefined when all fail. */
export function createForwarder(upstreams: readonly Upstream[], timeoutMs: number): Forwarder {
  return {
    async forward(query, tcp) {
      for (const upstream of upstreams) {
        let answer = await udpQuery(query, upstream, timeoutMs);
        const truncated = answer !== undefined && answer.length >= 4 && (answer.readUInt16BE(2) & 0x0200) !== 0;
        if (tcp && (truncated || answer === undefined)) answer = (await tcpQuery(query, upstream, timeoutMs)) ?? answer;
        if (answer) return answer;
      }
      return undefined;
    },
  };
}
