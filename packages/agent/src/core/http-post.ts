/**
 * Small JSON POSTs to the master over a few keep-alive sockets (node:http). Status updates and PONGs
 * are frequent; fetch's per-request machinery (web streams, Request/Response objects) costs several
 * times more CPU, and an unbounded pool would open a socket per in-flight update.
 */
import { Agent as HttpAgent, request } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 16 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 16 });

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
    req.on("timeout", () => req.destroy(new Error(`POST ${url} timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}
