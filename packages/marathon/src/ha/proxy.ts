/**
 * Followers serve the API by proxying every call to the leading Marathon (Marathon's behaviour), so
 * that clients may talk to any of them: method, path, query, headers and body go through unchanged,
 * the answer (streams such as `/v2/events` included) comes back as it is, with `X-Marathon-Leader`
 * and `X-Marathon-Via` set. Only what describes this process itself is answered locally.
 */
import { request, type IncomingMessage, type ServerResponse } from "node:http";
import { sendJson } from "@caravel/runtime";
import type { Logger } from "@caravel/runtime";

/** Paths a follower answers itself (liveness and metrics are about this process). */
const LOCAL = new Set(["/ping", "/health", "/metrics", "/metrics/prometheus"]);

export const answeredLocally = (pathname: string): boolean => LOCAL.has(pathname);

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer", "host"]);

/** Proxies `req` to `leader` (`host:port`); a 502 naming the leader when it cannot be reached. */
export function proxyToLeader(req: IncomingMessage, res: ServerResponse, leader: string, self: string, log: Logger): void {
  const via = String(req.headers["x-marathon-via"] ?? "");
  if (via.split(",").map((s) => s.trim()).includes(self)) {
    // The leader we forwarded to forwarded back: leadership is changing hands; ask the client to retry.
    sendJson(res, 503, { message: `leadership is changing (request looped through ${via}); retry shortly` });
    return;
  }
  const [host, port] = splitHostPort(leader);
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
  headers["host"] = leader;
  headers["x-marathon-via"] = via ? `${via}, ${self}` : self;
  const upstream = request({ host, port, method: req.method, path: req.url, headers }, (answer) => {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(answer.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
    out["x-marathon-leader"] = `http://${leader}`;
    out["x-marathon-via"] = self;
    res.writeHead(answer.statusCode ?? 502, out);
    answer.pipe(res);
  });
  upstream.on("error", (error) => {
    log.warn({ err: error.message, leader }, "proxying to the leader failed");
    if (!res.headersSent) sendJson(res, 502, { message: `the leading Marathon at ${leader} could not be reached (${error.message}); retry shortly` });
    else res.destroy();
  });
  // A client that goes away (e.g. an event stream closed) ends the upstream request too.
  res.on("close", () => upstream.destroy());
  req.pipe(upstream);
}

function splitHostPort(hostPort: string): [string, number] {
  const i = hostPort.lastIndexOf(":");
  return [hostPort.slice(0, i).replace(/^\[|\]$/g, ""), Number(hostPort.slice(i + 1))];
}
