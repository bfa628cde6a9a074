/**
 * The routing table of DC/OS' Admin Router, as a pure function from a checked request target to a
 * route: which upstream, which upstream path, whether a token is needed, and the timeout.
 */
import type { Target } from "./paths.js";

export type UpstreamKind = "master" | "marathon" | "dns" | "universe" | "console" | "agent" | "service";
export type LocalKind = "iam" | "health" | "metrics" | "system-health" | "metadata" | "version" | "ui-config" | "buildinfo" | "routes";

export type Route =
  | { kind: "proxy"; upstream: UpstreamKind; path: string; auth: boolean; timeoutMs: number; agentId?: string; service?: string[] }
  | { kind: "local"; local: LocalKind; auth: boolean; path: string }
  | { kind: "redirect"; status: 301 | 307; location: string };

const LONG = 600_000;
const DEFAULT = 60_000;

/** Matches a route; `rest(n)` is the raw path after the first n segments (always starts with /). */
export function matchRoute(target: Target): Route {
  const seg = target.segments;
  const rawParts = target.path.split("/").slice(1);
  const rest = (n: number) => "/" + rawParts.slice(n).join("/") + target.search;
  const first = seg[0] ?? "";

  if (target.path === "/health") return { kind: "local", local: "health", auth: false, path: target.path };
  if (target.path === "/metrics") return { kind: "local", local: "metrics", auth: false, path: target.path };
  if (first === "acs" && seg[1] === "api" && seg[2] === "v1") return { kind: "local", local: "iam", auth: seg[3] !== "auth", path: target.path };
  if (target.path === "/dcos-metadata/dcos-version.json") return { kind: "local", local: "version", auth: false, path: target.path };
  if (target.path === "/dcos-metadata/ui-config.json") return { kind: "local", local: "ui-config", auth: false, path: target.path };
  if (first === "dcos-metadata" || target.path === "/metadata") return { kind: "local", local: "metadata", auth: true, path: target.path };
  if (target.path === "/pkgpanda/active.buildinfo.full.json") return { kind: "local", local: "buildinfo", auth: true, path: target.path };
  if (target.path === "/system/v1/routes") return { kind: "local", local: "routes", auth: true, path: target.path + target.search };
  if (first === "system" && seg[1] === "health" && seg[2] === "v1") return { kind: "local", local: "system-health", auth: true, path: target.path };

  if (first === "mesos") {
    if (seg.length === 1) return { kind: "redirect", status: 307, location: "/mesos/" + target.search };
    return { kind: "proxy", upstream: "master", path: rest(1), auth: true, timeoutMs: LONG };
  }
  if (first === "mesos_dns") return { kind: "proxy", upstream: "dns", path: rest(1), auth: true, timeoutMs: DEFAULT };
  if (first === "marathon") {
    if (seg.length === 1) return { kind: "redirect", status: 307, location: "/marathon/" + target.search };
    return { kind: "proxy", upstream: "marathon", path: rest(1), auth: true, timeoutMs: LONG };
  }
  if (first === "service") {
    if (seg.length < 2 || seg[1] === "") return { kind: "proxy", upstream: "console", path: target.path + target.search, auth: false, timeoutMs: DEFAULT };
    if (seg.length === 2) return { kind: "redirect", status: 301, location: `/service/${rawParts[1]}/${target.search}` };
    if (seg[1] === "marathon") return { kind: "proxy", upstream: "marathon", path: rest(2), auth: true, timeoutMs: LONG };
    // Candidate names: path prefixes, shortest first, at most 10 segments (Admin Router's rule).
    const names = seg.slice(1, Math.min(seg.length - 1, 10) + 1).filter((s) => s !== "");
    return { kind: "proxy", upstream: "service", path: target.path + target.search, auth: true, timeoutMs: LONG, service: names };
  }
  if (first === "agent" || first === "slave") {
    if (seg.length < 2 || seg[1] === "") return { kind: "proxy", upstream: "console", path: target.path + target.search, auth: false, timeoutMs: DEFAULT };
    if (seg.length === 2) return { kind: "redirect", status: 307, location: `/${first}/${rawParts[1]}/${target.search}` };
    return { kind: "proxy", upstream: "agent", agentId: seg[1]!, path: rest(2), auth: true, timeoutMs: LONG };
  }
  if (first === "package" || target.path === "/capabilities") return { kind: "proxy", upstream: "universe", path: target.path + target.search, auth: true, timeoutMs: 300_000 };
  if (first === "cosmos" && seg[1] === "service") return { kind: "proxy", upstream: "universe", path: rest(1), auth: true, timeoutMs: 300_000 };
  return { kind: "proxy", upstream: "console", path: target.path + target.search, auth: false, timeoutMs: DEFAULT };
}

/** Splits a resolved /service/ path into the service name (first `count` segments) and the rest. */
export function splitServicePath(rawPath: string, count: number): { name: string; rest: string } {
  const q = rawPath.indexOf("?");
  const path = q === -1 ? rawPath : rawPath.slice(0, q);
  const search = q === -1 ? "" : rawPath.slice(q);
  const parts = path.split("/").slice(2);
  return { name: parts.slice(0, count).map(decodeURIComponent).join("/"), rest: "/" + parts.slice(count).join("/") + search };
}
