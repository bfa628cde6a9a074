/**
 * Thin helpers for node:http servers: bounded body reading, JSON answers, a small router with path
 * parameters, and one mapping from CaravelError codes to responses, so that bad input always gets a
 * 4xx naming the problem and never a 5xx or a crash.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { CaravelError, isCaravelError } from "@caravel/api";
import type { Logger } from "pino";

export const DEFAULT_BODY_LIMIT = 8 * 1024 * 1024; // 8 MiB

/** Reads a request body (chunked or not) up to `limit` bytes; throws PAYLOAD_TOO_LARGE beyond it. */
export async function readBody(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) {
    req.resume();
    throw new CaravelError("PAYLOAD_TOO_LARGE", `request body of ${declared} bytes exceeds the ${limit}-byte limit`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      req.resume();
      throw new CaravelError("PAYLOAD_TOO_LARGE", `request body exceeds the ${limit}-byte limit`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Reads and parses a JSON body; malformed JSON is a 400 MALFORMED_JSON with the parser's position. */
export async function readJson(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<unknown> {
  const body = await readBody(req, limit);
  if (body.length === 0) throw new CaravelError("MALFORMED_JSON", "request body is empty; expected a JSON document");
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw new CaravelError("MALFORMED_JSON", `request body is not valid JSON: ${(error as Error).message}`);
  }
}

/** The media type of a Content-Type header, lower-cased and without parameters (`; charset=utf-8`). */
export const mediaType = (header: string | undefined): string => (header ?? "").split(";")[0]!.trim().toLowerCase();

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Renders an error: CaravelErrors as `{code, message, path?}` with their status; anything else as 500. */
export function sendError(res: ServerResponse, error: unknown, log?: Logger, style: "json" | "text" = "json"): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const err = isCaravelError(error) ? error : new CaravelError("INTERNAL", "internal error; see the server log", { cause: error });
  if (err.code === "INTERNAL") log?.error({ err: error }, "unhandled error");
  if (style === "text") sendText(res, err.status, err.message);
  else sendJson(res, err.status, err.toJSON());
}

export type Handler = (req: IncomingMessage, res: ServerResponse, params: Record<string, string>, url: URL) => unknown;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
}

/** A router over `METHOD /path/:param/*rest` patterns, tried in registration order. */
export class Router {
  private readonly routes: Route[] = [];

  on(method: string | string[], path: string, handler: Handler): this {
    const names: string[] = [];
    const source = path
      .split("/")
      .map((part) => {
        if (part.startsWith(":")) {
          names.push(part.slice(1));
          return "([^/]+)";
        }
        if (part.startsWith("*")) {
          names.push(part.slice(1) || "rest");
          return "(.*)";
        }
        return part.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
      })
      .join("/");
    for (const m of Array.isArray(method) ? method : [method]) {
      this.routes.push({ method: m.toUpperCase(), pattern: new RegExp(`^${source}$`), names, handler });
    }
    return this;
  }

  /** Finds the handler for a request; 405 with Allow when the path exists under another method. */
  match(method: string, pathname: string): { handler: Handler; params: Record<string, string> } | { allowed: string[] } | undefined {
    const allowed: string[] = [];
    for (const route of this.routes) {
      const m = route.pattern.exec(pathname);
      if (!m) continue;
      if (route.method !== method && !(method === "HEAD" && route.method === "GET")) {
        allowed.push(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1] ?? "")));
      return { handler: route.handler, params };
    }
    return allowed.length ? { allowed } : undefined;
  }

  /** A node:http request listener that dispatches, maps errors, and answers 404/405 itself. */
  listener(log?: Logger): (req: IncomingMessage, res: ServerResponse) => void {
    return (req, res) => {
      const url = new URL(req.url ?? "/", "http://localhost");
      const found = this.match(req.method ?? "GET", url.pathname);
      if (!found) {
        sendError(res, new CaravelError("NOT_FOUND", `no such endpoint: ${req.method} ${url.pathname}`));
        return;
      }
      if ("allowed" in found) {
        res.setHeader("allow", [...new Set(found.allowed)].join(", "));
        sendError(res, new CaravelError("METHOD_NOT_ALLOWED", `${req.method} is not allowed on ${url.pathname}; use ${found.allowed.join(" or ")}`));
        return;
      }
      try {
        const result = found.handler(req, res, found.params, url);
        if (result instanceof Promise) result.catch((error: unknown) => sendError(res, error, log));
      } catch (error) {
        sendError(res, error, log);
      }
    };
  }
}

export interface Listening {
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

type RequestListenerFn = (req: IncomingMessage, res: ServerResponse) => void;
let listenGuard: ((listener: RequestListenerFn) => RequestListenerFn) | undefined;

/**
 * Puts a check in front of every listener this process's `listen` serves from now on: `main.ts` of
 * a backend sets the IAM token check (`@caravel/auth` backendAuthFromFlags) once, so that servers
 * built elsewhere need no knowledge of authentication.
 */
export function setListenGuard(guard: ((listener: RequestListenerFn) => RequestListenerFn) | undefined): void {
  listenGuard = guard;
}

/** Accept queue length asked of the kernel (it caps it at net.core.somaxconn, 4096 here). */
const LISTEN_BACKLOG = 8192;

/** Starts a server on host:port (0 = any free port) and resolves once it listens. */
export async function listen(listener: RequestListenerFn, port: number, host = "127.0.0.1"): Promise<Listening> {
  const server = createHttpServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, listenGuard ? listenGuard(listener) : listener);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // Node's default backlog (511) overflows when thousands of clients connect at once (agents
    // re-registering after a master failover): their dropped SYNs come back only after 1, 3, 7… s.
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    server,
    port: actual,
    url: `http://${host}:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Runs `close` on SIGTERM/SIGINT once, then exits. */
export function onShutdown(close: () => Promise<void>, log?: Logger): void {
  let closing = false;
  const handler = (signal: string) => {
    if (closing) return;
    closing = true;
    log?.info({ signal }, "shutting down");
    close()
      .catch((error: unknown) => log?.error({ err: error }, "error while shutting down"))
      .finally(() => process.exit(0));
  };
  process.once("SIGTERM", () => handler("SIGTERM"));
  process.once("SIGINT", () => handler("SIGINT"));
}
