/**
 * Small JSON POSTs to the master over a few keep-alive sockets (node:http). Status updates and PONGs
 * are frequent; fetch's per-request machinery (web streams, Request/Response objects) costs several
 * times more CPU, and an unbounded pool would open a socket per in-flight update.
 */
import { Agent as HttpAgent, request, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 64 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 64 });

export interface PostResult {
  status: number;
  body: string;
  location?: string;
}

export function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs = 30_000): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const secure = u.protocol === "https:";
    const req = (secure ? httpsRequest : request)(
      u,
      {
        method: "POST",
        agent: secure ? httpsAgent : httpAgent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const result: PostResult = { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") };
          if (res.headers.location) result.location = res.headers.location;
          resolve(result);
        });
        res.on("error", reject);
      },
    );
    req.setNoDelay(true);
    req.on("timeout", () => req.destroy(new Error(`POST ${url} timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

export interface OpenStream {
  status: number;
  /** The URL that answered, after redirects (the leading master). */
  url: string;
  streamId?: string;
  response: IncomingMessage;
}

/**
 * POSTs and returns the response unread (for the SUBSCRIBE stream), following 307/308 to the leader
 * as Mesos masters answer from a non-leader. A plain socket per stream: lighter than fetch, which
 * matters when one process simulates thousands of agents.
 */
export async function openStream(url: string, body: string, signal: AbortSignal, maxRedirects = 5, headers: Record<string, string> = {}): Promise<OpenStream> {
  let current = url;
  for (let hop = 0; ; hop++) {
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const u = new URL(current);
      const req = (u.protocol === "https:" ? httpsRequest : request)(u, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/recordio", "content-length": Buffer.byteLength(body), ...headers },
        signal,
      });
      req.setNoDelay(true);
      req.on("response", resolve);
      req.on("error", reject);
      req.end(body);
    });
    const location = response.headers.location;
    if ((response.statusCode === 307 || response.statusCode === 308) && location && hop < maxRedirects) {
      response.resume();
      current = new URL(location, current).toString();
      continue;
    }
    const out: OpenStream = { status: response.statusCode ?? 0, url: current, response };
    const id = response.headers["mesos-stream-id"];
    if (typeof id === "string") out.streamId = id;
    return out;
  }
}
