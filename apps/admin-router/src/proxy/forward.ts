/**
 * Forwarding one request to one upstream over undici keep-alive pools: bodies stream both ways,
 * server-sent events flush as they arrive (optionally filtered), JSON views can be filtered, and
 * upstream failures become 502/503/504 with a JSON body naming the upstream that failed.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Agent, errors as undiciErrors, type Dispatcher } from "undici";
import { CaravelError } from "@caravel/api";
import { clientResponseHeaders, rewriteLocation } from "./headers.js";
import { SseFilter } from "./sse.js";

export interface ForwardRequest {
  /** Logical upstream name for errors and metrics ("marathon", "master", "service:kafka", …). */
  name: string;
  origin: string;
  path: string;
  method: string;
  headers: Record<string, string | string[]>;
  timeoutMs: number;
  /** A body read already (for inspection); otherwise the client's request streams through. */
  body?: Buffer;
  /** Hide parts of a JSON response. */
  filterJson?: (json: unknown) => unknown;
  /** Keep or drop each server-sent event. */
  filterEvent?: (data: unknown, event: string | undefined) => boolean;
  /** Rewrite Location headers into this prefix (/service/<name>). */
  locationPrefix?: string;
}

const MAX_FILTERED_BODY = 256 * 1024 * 1024;

export class Forwarder {
  private readonly agent: Agent;

  constructor(options: { connections?: number } = {}) {
    this.agent = new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000, connections: options.connections ?? 256, pipelining: 1 });
  }

  /** Sends the request upstream; throws CaravelError (before anything was sent) when the upstream fails. */
  async request(req: IncomingMessage, fwd: ForwardRequest): Promise<Dispatcher.ResponseData> {
    const hasBody = fwd.body !== undefined ? fwd.body.length > 0 : req.headers["content-length"] !== undefined ? req.headers["content-length"] !== "0" : req.headers["transfer-encoding"] !== undefined;
    const headers = { ...fwd.headers };
    if (fwd.body !== undefined) headers["content-length"] = String(fwd.body.length);
    try {
      return await this.agent.request({
        origin: fwd.origin,
        path: fwd.path,
        method: fwd.method as Dispatcher.HttpMethod,
        headers,
        body: hasBody ? (fwd.body ?? req) : null,
        headersTimeout: fwd.timeoutMs,
        bodyTimeout: fwd.timeoutMs,
      });
    } catch (error) {
      throw upstreamError(fwd, error);
    }
  }

  /**
   * The fast path for unfiltered responses: undici writes the upstream body straight into the
   * client response. Resolves "redirected" (with nothing sent) when `retryOn307` and the upstream
   * answered 307, so the caller can find the new leader and try again.
   */
  async pipe(req: IncomingMessage, res: ServerResponse, fwd: ForwardRequest, retryOn307 = false): Promise<"done" | "redirected"> {
    const hasBody = fwd.body !== undefined ? fwd.body.length > 0 : req.headers["content-length"] !== undefined ? req.headers["content-length"] !== "0" : req.headers["transfer-encoding"] !== undefined;
    const headers = fwd.body !== undefined ? { ...fwd.headers, "content-length": String(fwd.body.length) } : fwd.headers;
    let redirected = false;
    try {
      await this.agent.stream(
        { origin: fwd.origin, path: fwd.path, method: fwd.method as Dispatcher.HttpMethod, headers, body: hasBody ? (fwd.body ?? req) : null, headersTimeout: fwd.timeoutMs, bodyTimeout: fwd.timeoutMs },
        ({ statusCode, headers: upHeaders }) => {
          if (retryOn307 && statusCode === 307) {
            redirected = true;
            return new Writable({ write: (_chunk, _enc, done) => done() });
          }
          const out = clientResponseHeaders(upHeaders);
          if (fwd.locationPrefix && typeof out["location"] === "string") out["location"] = rewriteLocation(out["location"], fwd.origin, fwd.locationPrefix);
          res.writeHead(statusCode, out);
          if (String(out["content-type"] ?? "").startsWith("text/event-stream")) res.flushHeaders();
          return res;
        },
      );
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return "done";
      }
      throw upstreamError(fwd, error);
    }
    return redirected ? "redirected" : "done";
  }

  /** Writes an upstream response to the client, filtered as asked. */
  async respond(res: ServerResponse, fwd: ForwardRequest, up: Dispatcher.ResponseData): Promise<void> {
    const headers = clientResponseHeaders(up.headers);
    if (fwd.locationPrefix && typeof headers["location"] === "string") headers["location"] = rewriteLocation(headers["location"], fwd.origin, fwd.locationPrefix);
    const type = String(headers["content-type"] ?? "");
    if (fwd.filterEvent && type.startsWith("text/event-stream")) {
      delete headers["content-length"];
      res.writeHead(up.statusCode, headers);
      res.flushHeaders();
      const keep = fwd.filterEvent;
      await pipeline(up.body, new SseFilter(keep), res).catch(() => res.destroy());
      return;
    }
    if (fwd.filterJson && up.statusCode >= 200 && up.statusCode < 300 && fwd.method !== "HEAD") {
      if (!/json/i.test(type)) {
        await up.body.dump();
        throw new CaravelError("FORBIDDEN", `this ${fwd.name} view is filtered by your permissions and is only served as JSON; drop ?jsonp= or ask for application/json`);
      }
      const text = await readLimited(up.body, MAX_FILTERED_BODY);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new CaravelError("UPSTREAM_UNAVAILABLE", `${fwd.name} (${fwd.origin}) sent malformed JSON, so it cannot be filtered`);
      }
      const out = JSON.stringify(fwd.filterJson(json));
      delete headers["content-encoding"];
      headers["content-length"] = String(Buffer.byteLength(out));
      res.writeHead(up.statusCode, headers);
      res.end(out);
      return;
    }
    res.writeHead(up.statusCode, headers);
    if (type.startsWith("text/event-stream")) res.flushHeaders();
    await pipeline(up.body, res).catch(() => res.destroy());
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

async function readLimited(body: AsyncIterable<Buffer>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) throw new CaravelError("PAYLOAD_TOO_LARGE", `upstream response exceeds ${limit} bytes and cannot be filtered`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Maps undici failures to 502 (unreachable), 504 (timeout). */
export function upstreamError(fwd: Pick<ForwardRequest, "name" | "origin" | "timeoutMs">, error: unknown): CaravelError {
  if (error instanceof CaravelError) return error;
  const e = error as Error & { code?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? "";
  const details = { upstream: fwd.name, url: fwd.origin, reason: code || e.message };
  if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError || code === "UND_ERR_CONNECT_TIMEOUT") {
    return new CaravelError("UPSTREAM_TIMEOUT", `upstream ${fwd.name} (${fwd.origin}) did not answer within ${fwd.timeoutMs} ms`, { details, cause: error });
  }
  return new CaravelError("UPSTREAM_UNAVAILABLE", `upstream ${fwd.name} (${fwd.origin}) is unreachable: ${code || e.message}`, { details, cause: error });
}

/** Whether an error means the upstream could not be reached at all (so another one may be tried). */
export const isConnectError = (error: unknown): boolean => error instanceof CaravelError && error.code === "UPSTREAM_UNAVAILABLE" && /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ECONNRESET|UND_ERR_SOCKET/.test(String(error.details?.["reason"] ?? ""));
