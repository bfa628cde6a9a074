/**
 * Request authentication for the admin router and for backends that listen beyond loopback: finds
 * the token where DC/OS clients put it and verifies it.
 */
import type { IncomingHttpHeaders } from "node:http";
import { createRemoteJWKSet } from "jose";
import { CaravelError } from "@caravel/api";
import { verifyToken, type KeySource, type TokenClaims, type VerifyOptions } from "./tokens.js";

export const AUTH_COOKIE = "dcos-acs-auth-cookie";
export const INFO_COOKIE = "dcos-acs-info-cookie";

/** The 401 challenge Open DC/OS sends; the DC/OS CLI understands it. */
export const WWW_AUTHENTICATE = "oauthjwt";

export interface FoundToken {
  token: string;
  from: "authorization" | "cookie";
}

/**
 * The token of a request: `Authorization: token=<t>` or `Bearer <t>`, else (only when there is no
 * Authorization header at all, as Admin Router does) the `dcos-acs-auth-cookie` cookie.
 * Throws UNAUTHORIZED for an Authorization header of another scheme.
 */
export function extractToken(headers: IncomingHttpHeaders): FoundToken | undefined {
  const auth = headers.authorization;
  if (auth !== undefined) {
    // Parsed by hand: this runs on every request, and a regex over a 600-character JWT is not free.
    const value = auth.trim();
    const lower = value.slice(0, 7).toLowerCase();
    const token = lower.startsWith("token=") ? value.slice(6) : lower === "bearer " ? value.slice(7).trimStart() : "";
    if (token === "" || token.includes(" ") || token.includes("\t")) throw new CaravelError("UNAUTHORIZED", "Authorization header must be `token=<JWT>` or `Bearer <JWT>`");
    return { token, from: "authorization" };
  }
  const cookie = readCookie(headers.cookie, AUTH_COOKIE);
  return cookie ? { token: cookie, from: "cookie" } : undefined;
}

/** One cookie's value from a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/** Removes the given cookies from a Cookie header; undefined when nothing is left. */
export function stripCookies(header: string | undefined, names: readonly string[] = [AUTH_COOKIE, INFO_COOKIE]): string | undefined {
  if (!header) return undefined;
  const kept = header
    .split(";")
    .map((p) => p.trim())
    .filter((p) => p !== "" && !names.includes(p.slice(0, Math.max(0, p.indexOf("="))).trim()));
  return kept.length ? kept.join("; ") : undefined;
}

export interface RequestVerifierOptions extends VerifyOptions {
  /** Called after the signature checks out; throw UNAUTHORIZED to reject (revocation). */
  check?: (claims: TokenClaims) => void;
  /** How many verified tokens to remember (verification is the expensive part). 0 disables. */
  cacheSize?: number;
  /** Clock in seconds; defaults to Date.now. */
  clock?: () => number;
}

/** Verifies requests' tokens, remembering recently verified ones until they expire. */
export class RequestVerifier {
  // Keyed by the signature's tail: hashing a whole fresh 600-character token on every request costs
  // more than the rest of the check; the full token is compared on a hit.
  private readonly cache = new Map<string, { token: string; claims: TokenClaims }>();

  constructor(
    private readonly keys: KeySource,
    private readonly options: RequestVerifierOptions = {},
  ) {}

  /** A verifier for a backend: keys come from the admin router's JWKS (`/acs/api/v1/auth/jwks`). */
  static remote(jwksUrl: string, options: RequestVerifierOptions = {}): RequestVerifier {
    return new RequestVerifier(createRemoteJWKSet(new URL(jwksUrl)), options);
  }

  /** Verifies the request's token; throws UNAUTHORIZED (with the reason) when missing or invalid. */
  async verifyRequest(headers: IncomingHttpHeaders): Promise<TokenClaims & { token: string; from: FoundToken["from"] }> {
    const found = extractToken(headers);
    if (!found) throw new CaravelError("UNAUTHORIZED", "no token: log in at POST /acs/api/v1/auth/login and send `Authorization: token=<JWT>`");
    return { ...(await this.verify(found.token)), token: found.token, from: found.from };
  }

  async verify(token: string): Promise<TokenClaims> {
    const now = this.options.clock?.() ?? Math.floor(Date.now() / 1000);
    const key = token.slice(-24);
    const hit = this.cache.get(key);
    const cached = hit !== undefined && hit.token === token ? hit.claims : undefined;
    if (cached && cached.exp > now) {
      this.options.check?.(cached);
      return cached;
    }
    const claims = await verifyToken(token, this.keys, { ...this.options, now });
    this.options.check?.(claims);
    const size = this.options.cacheSize ?? 10_000;
    if (size > 0) {
      if (this.cache.size >= size) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, { token, claims });
    }
    return claims;
  }

  /** Forgets cached verifications (after key rotation removed a key). */
  clear(): void {
    this.cache.clear();
  }
}

/** Convenience for backends: verifies a request's token against a key source once. */
export async function verifyRequest(headers: IncomingHttpHeaders, keys: KeySource, options: RequestVerifierOptions = {}): Promise<TokenClaims> {
  return new RequestVerifier(keys, { ...options, cacheSize: 0 }).verifyRequest(headers);
}
