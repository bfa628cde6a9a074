/**
 * Header rewriting between client and upstream, pure: hop-by-hop headers dropped (and any the
 * Connection header names), DC/OS cookies stripped, the identity forwarded, `X-Forwarded-*` set,
 * and client-supplied identity headers removed so that they cannot be spoofed.
 */
import type { IncomingHttpHeaders } from "node:http";
import { stripCookies } from "@caravel/auth";

export const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "http2-settings"]);

/** Headers the router sets itself; never taken from the client. */
export const IDENTITY_HEADER = "x-caravel-uid";

export interface ForwardContext {
  client: string;
  proto: "http" | "https";
  /** The authenticated uid, forwarded as X-Caravel-Uid. */
  uid?: string;
  /** When the token came from the cookie, DC/OS passes it on as `Authorization: token=`. */
  cookieToken?: string;
  /** Some upstreams (Mesos-DNS) get no Authorization header at all. */
  dropAuthorization?: boolean;
  /** Keep the Upgrade/Connection pair (WebSocket handshakes). */
  upgrade?: boolean;
}

function connectionTokens(value: string | string[] | undefined): Set<string> {
  const text = Array.isArray(value) ? value.join(",") : (value ?? "");
  return new Set(text.split(",").map((t) => t.trim().toLowerCase()).filter((t) => t !== ""));
}

export function upstreamRequestHeaders(incoming: IncomingHttpHeaders, ctx: ForwardContext): Record<string, string | string[]> {
  const named = connectionTokens(incoming.connection);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name) || name.startsWith("x-caravel-") || name === "cookie") continue;
    if (name === "x-forwarded-for" || name === "x-real-ip" || name === "x-forwarded-proto" || name === "x-forwarded-host") continue;
    out[name] = value;
  }
  const cookie = stripCookies(incoming.cookie);
  if (cookie) out["cookie"] = cookie;
  if (ctx.cookieToken && !out["authorization"]) out["authorization"] = `token=${ctx.cookieToken}`;
  if (ctx.dropAuthorization) delete out["authorization"];
  const prior = incoming["x-forwarded-for"];
  out["x-forwarded-for"] = prior ? `${Array.isArray(prior) ? prior.join(", ") : prior}, ${ctx.client}` : ctx.client;
  out["x-real-ip"] = ctx.client;
  out["x-forwarded-proto"] = ctx.proto;
  if (incoming.host) out["x-forwarded-host"] = incoming.host;
  if (ctx.uid !== undefined) out[IDENTITY_HEADER] = ctx.uid;
  if (ctx.upgrade && incoming.upgrade) {
    out["connection"] = "upgrade";
    out["upgrade"] = incoming.upgrade;
  }
  return out;
}

export function clientResponseHeaders(upstream: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const named = connectionTokens(upstream["connection"]);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(upstream)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/**
 * Rewrites a Location header from a /service/ upstream so the client stays behind the router:
 * `/x` and `http://upstream/x` become `/service/<name>/x`.
 */
export function rewriteLocation(location: string, upstreamOrigin: string, prefix: string): string {
  if (location.startsWith(upstreamOrigin)) return prefix + location.slice(upstreamOrigin.length).replace(/^\/?/, "/");
  if (location.startsWith("/") && !location.startsWith("//") && !location.startsWith(prefix + "/")) return prefix + location;
  return location;
}
