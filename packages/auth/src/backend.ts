/**
 * Token checks for backends (master, Marathon, DNS, catalog) that listen beyond loopback: defence
 * in depth behind the admin router (DESIGN.md §1, §7). In a local cluster calls on loopback need
 * no token; every other caller must present an IAM token, verified against the router's JWKS.
 *
 *   const auth = createBackendAuth({ jwksUrl: "http://127.0.0.1:8000/acs/api/v1/auth/jwks" });
 *   const who = await auth(req); // throws CaravelError UNAUTHORIZED; undefined for trusted loopback
 */
import type { IncomingMessage } from "node:http";
import { CaravelError } from "@caravel/api";
import { RequestVerifier, extractToken } from "./request.js";
import type { KeySource, TokenClaims } from "./tokens.js";

export interface BackendAuthOptions {
  /** The admin router's JWKS, e.g. http://127.0.0.1:8000/acs/api/v1/auth/jwks. */
  jwksUrl?: string;
  /** Or keys given directly (tests, or a backend that shares the router's key set). */
  keys?: KeySource;
  /** Let loopback callers without a token through (default true: the local-cluster rule). */
  trustLoopback?: boolean;
}

/** 127.0.0.0/8, ::1 and IPv4-mapped loopback. */
export const isLoopback = (address: string | undefined): boolean => address !== undefined && (/^(::ffff:)?127\./.test(address) || address === "::1");

/** Builds the check; it resolves to the caller's claims, or undefined for a trusted loopback caller. */
export function createBackendAuth(options: BackendAuthOptions): (req: IncomingMessage) => Promise<TokenClaims | undefined> {
  const source = options.keys ?? undefined;
  if (!source && !options.jwksUrl) throw new Error("createBackendAuth needs jwksUrl or keys");
  const verifier = source ? new RequestVerifier(source) : RequestVerifier.remote(options.jwksUrl!);
  const trustLoopback = options.trustLoopback ?? true;
  return async (req) => {
    const found = extractToken(req.headers);
    if (!found) {
      if (trustLoopback && isLoopback(req.socket?.remoteAddress)) return undefined;
      throw new CaravelError("UNAUTHORIZED", "this endpoint needs a token from the admin router: log in at POST /acs/api/v1/auth/login and send `Authorization: token=<JWT>`");
    }
    return verifier.verify(found.token);
  };
}
