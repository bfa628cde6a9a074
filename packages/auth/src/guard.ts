/**
 * The token check in front of a backend's HTTP listener (master, Marathon, DNS HTTP, catalog). A
 * loopback caller without a token goes straight through (the local-cluster rule, and no cost on the
 * hot path); everyone else needs a valid IAM token, else 401 with `WWW-Authenticate: oauthjwt`.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { CaravelError } from "@caravel/api";
import { WWW_AUTHENTICATE, AUTH_COOKIE } from "./request.js";
import { isLoopback } from "./backend.js";
import type { TokenClaims } from "./tokens.js";

/** Paths every backend answers without a token: liveness, version and leader discovery (as Mesos does). */
export const PUBLIC_BACKEND_PATHS: ReadonlySet<string> = new Set(["/health", "/master/health", "/ping", "/version", "/master/version", "/redirect", "/master/redirect", "/v2/info/health"]);

export interface GuardOptions {
  /** Paths served without a token (default PUBLIC_BACKEND_PATHS). */
  publicPaths?: ReadonlySet<string>;
}

/** Wraps `listener` so that it only sees requests that `check` accepts. */
export function guardListener(
  listener: RequestListener,
  check: (req: IncomingMessage) => Promise<TokenClaims | undefined>,
  options: GuardOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const publicPaths = options.publicPaths ?? PUBLIC_BACKEND_PATHS;
  return (req, res) => {
    // No token from loopback: decided synchronously, so local clusters pay nothing for the guard.
    if (req.headers.authorization === undefined && !req.headers.cookie?.includes(AUTH_COOKIE) && isLoopback(req.socket.remoteAddress)) return listener(req, res);
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    if (publicPaths.has(q === -1 ? url : url.slice(0, q))) return listener(req, res);
    check(req).then(
      () => listener(req, res),
      (error: unknown) => refuse(res, error),
    );
  };
}

function refuse(res: ServerResponse, error: unknown): void {
  const err = error instanceof CaravelError ? error : new CaravelError("UNAUTHORIZED", `token check failed: ${(error as Error).message}`);
  if (res.headersSent) return void res.destroy();
  const body = JSON.stringify(err.toJSON());
  res.writeHead(err.status, { "content-type": "application/json", "content-length": Buffer.byteLength(body), "www-authenticate": WWW_AUTHENTICATE });
  res.end(body);
}
