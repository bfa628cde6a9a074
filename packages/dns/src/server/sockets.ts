/**
 * The DNS listeners: one UDP socket and one TCP server per address. TCP carries length-prefixed
 * messages, several per connection, with an idle timeout and a cap on buffered bytes so that a slow
 * or hostile client cannot hold memory. Handler errors never escape: a bad message gets nothing.
 */
import { createSocket, type Socket } from "node:dgram";
import { lookup } from "node:dns";
import { createServer, isIP, type AddressInfo, type Server } from "node:net";
import type { QueryHandler } from "./handler.js";

export interface DnsListener {
  readonly host: string;
  readonly udpPort: number;
  readonly tcpPort: number;
  close(): Promise<void>;
}

const TCP_IDLE_MS = 10_000;
const TCP_MAX_BUFFER = 70_000;

/**
 * Replies always go to the literal address a query came from; dgram would still pass it through
 * dns.lookup, which defers every send by a tick. Answering literals at once saves that per packet.
 */
const literalLookup = (address: string, family: unknown, callback: (error: Error | null, address: string, family: number) => void): void => {
  const kind = isIP(address);
  if (kind) return callback(null, address, kind);
  lookup(address, family as number, callback as never);
};

function listenUdp(handler: QueryHandler, host: string, port: number): Promise<Socket> {
  const socket = createSocket({ type: host.includes(":") ? "udp6" : "udp4", recvBufferSize: 4 * 1024 * 1024, lookup: literalLookup as never });
  socket.on("message", (msg, rinfo) => {
    try {
      const out = handler.handle(msg, "udp");
      if (out instanceof Promise) out.then((b) => b && socket.send(b, rinfo.port, rinfo.address), () => undefined);
      else if (out) socket.send(out, rinfo.port, rinfo.address);
    } catch {
      // never let one packet take the server down
    }
  });
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, host, () => {
      socket.removeListener("error", reject);
      socket.on("error", () => undefined);
      resolve(socket);
    });
  });
}

function listenTcp(handler: QueryHandler, host: string, port: number): Promise<Server> {
  const open = new Set<import("node:net").Socket>();
  const server = createServer((conn) => {
    open.add(conn);
    conn.on("close", () => open.delete(conn));
    let buffered = Buffer.alloc(0);
    conn.setTimeout(TCP_IDLE_MS, () => conn.destroy());
    conn.on("error", () => conn.destroy());
    conn.on("data", (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length > TCP_MAX_BUFFER) return conn.destroy();
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const msg = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + msg.length);
        const send = (b: Buffer | undefined) => {
          if (!b || conn.destroyed) return;
          const length = Buffer.alloc(2);
          length.writeUInt16BE(b.length);
          conn.write(Buffer.concat([length, b]));
        };
        try {
          const out = handler.handle(Buffer.from(msg), "tcp");
          if (out instanceof Promise) out.then(send, () => undefined);
          else send(out);
        } catch {
          conn.destroy();
        }
      }
      return undefined;
    });
  });
  // close() must not wait for idle clients: drop them.
  const close = server.close.bind(server);
  server.close = ((cb?: (err?: Error) => void) => {
    for (const conn of open) conn.destroy();
    return close(cb);
  }) as typeof server.close;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.removeListener("error", reject);
      server.on("error", () => undefined); // e.g. EMFILE on accept: keep serving the others
      resolve(server);
    });
  });
}

/**
 * Listens on UDP and TCP at host:port. With port 0 it finds one number free for both (clients such
 * as dig use the same port for UDP and TCP), retrying when the TCP side of a free UDP port is taken.
 */
export async function listenDns(handler: QueryHandler, host: string, port: number): Promise<DnsListener> {
  for (let attempt = 0; ; attempt++) {
    const udp = await listenUdp(handler, host, port);
    const udpPort = udp.address().port;
    let tcp: Server;
    try {
      tcp = await listenTcp(handler, host, udpPort);
    } catch (error) {
      udp.close();
      if (port !== 0 || attempt >= 50) throw error;
      continue;
    }
    return {
      host,
      udpPort,
      tcpPort: (tcp.address() as AddressInfo).port,
      close: () =>
        new Promise<void>((resolve) => {
          udp.close();
          tcp.close(() => resolve());
        }),
    };
  }
}
