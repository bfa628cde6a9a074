/**
 * WebSocket (and other Upgrade) pass-through: after the router has authorised the handshake, it
 * opens a raw connection to the upstream, replays the request head with rewritten headers, and
 * then splices the two sockets together.
 */
import type { IncomingMessage } from "node:http";
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { Duplex } from "node:stream";

export function spliceUpgrade(req: IncomingMessage, client: Duplex, head: Buffer, origin: string, path: string, headers: Record<string, string | string[]>, onError: (error: Error) => void): void {
  const url = new URL(origin);
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  const upstream: Socket = url.protocol === "https:" ? tlsConnect({ host: url.hostname, port, servername: url.hostname }) : netConnect({ host: url.hostname, port });
  const fail = (error: Error) => {
    onError(error);
    upstream.destroy();
    client.destroy();
  };
  upstream.once("error", fail);
  client.once("error", () => upstream.destroy());
  upstream.once(url.protocol === "https:" ? "secureConnect" : "connect", () => {
    const lines = [`${req.method} ${path} HTTP/1.1`];
    for (const [name, value] of Object.entries(headers)) for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
    if (!headers["host"]) lines.push(`host: ${url.host}`);
    upstream.write(lines.join("\r\n") + "\r\n\r\n");
    if (head.length) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.once("close", () => client.destroy());
  client.once("close", () => upstream.destroy());
}
