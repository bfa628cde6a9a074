/**
 * Mesos-DNS's HTTP API on 8123 (dcos-services.md §3.5): version, config, hosts, services and
 * enumerate, plus /health and metrics. Misses answer one all-empty record, as Mesos-DNS does and
 * Admin Router expects.
 */
import {
  CaravelError,
  EMPTY_HOST_ENTRY,
  EMPTY_SERVICE_ENTRY,
  type DnsHostEntry,
  type DnsServiceEntry,
  type DnsVersion,
} from "@caravel/api";
import { Router, sendJson, sendText, type MetricsRegistry } from "@caravel/runtime";
import type { RecordSet } from "../records/record-set.js";
import { canonicalName } from "../server/resolve.js";

export interface HttpDeps {
  records(): RecordSet;
  /** The effective configuration, already in Mesos-DNS's capitalised form. */
  config: Record<string, unknown>;
  metrics: MetricsRegistry;
  healthy(): boolean;
  version: string;
}

const MAX_NAME = 255;

function nameParam(raw: string | undefined, what: string): string {
  const name = (raw ?? "").trim();
  if (!name || name.length > MAX_NAME || /[\s/]/.test(name)) {
    throw new CaravelError("INVALID_REQUEST", `${what} "${name.slice(0, 80)}" is not a DNS name; use e.g. web.marathon.mesos`, { path: what });
  }
  return name.endsWith(".") ? name : `${name}.`;
}

export function hostEntries(set: RecordSet, host: string): DnsHostEntry[] {
  const entry = set.names.get(canonicalName(host));
  const out = entry ? [...entry.a, ...entry.aaaa].map((ip) => ({ host, ip })) : [];
  return out.length ? out : [{ ...EMPTY_HOST_ENTRY }];
}

export function serviceEntries(set: RecordSet, service: string): DnsServiceEntry[] {
  const entry = set.names.get(canonicalName(service));
  const out: DnsServiceEntry[] = [];
  for (const srv of entry?.srv ?? []) {
    const target = set.names.get(srv.target);
    for (const ip of target ? [...target.a, ...target.aaaa] : [""]) out.push({ service, host: `${srv.target}.`, ip, port: String(srv.port) });
  }
  return out.length ? out : [{ ...EMPTY_SERVICE_ENTRY }];
}

export function dnsRouter(deps: HttpDeps): Router {
  const version: DnsVersion = { Service: "Mesos-DNS", URL: "https://github.com/mesosphere/mesos-dns", Version: deps.version };
  return new Router()
    .on("GET", "/v1/version", (_req, res) => sendJson(res, 200, version))
    .on("GET", "/v1/config", (_req, res) => sendJson(res, 200, deps.config))
    .on("GET", "/v1/hosts/:host/ports", (_req, res) => sendText(res, 501, "not implemented: Mesos-DNS never served ports by host"))
    .on("GET", "/v1/hosts/:host", (_req, res, params) => sendJson(res, 200, hostEntries(deps.records(), nameParam(params["host"], "host"))))
    .on("GET", "/v1/services/:service", (_req, res, params) =>
      sendJson(res, 200, serviceEntries(deps.records(), nameParam(params["service"], "service"))),
    )
    .on("GET", "/v1/enumerate", (_req, res) => sendJson(res, 200, deps.records().enumeration))
    .on("GET", "/v1/axfr", (_req, res) => {
      const set = deps.records();
      const records = [...set.names].map(([name, e]) => ({ name: `${name}.`, ttl: e.ttl, a: e.a, aaaa: e.aaaa, srv: e.srv.map((s) => ({ ...s, target: `${s.target}.` })) }));
      sendJson(res, 200, { zones: set.zones, records });
    })
    .on("GET", "/health", (_req, res) =>
      deps.healthy() ? sendText(res, 200, "OK") : sendText(res, 503, "no state from the master yet; check --master"),
    )
    .on("GET", "/metrics", (_req, res) => sendText(res, 200, deps.metrics.prometheus("caravel_dns"), { "content-type": "text/plain; version=0.0.4" }))
    .on("GET", "/metrics/snapshot", (_req, res) => sendJson(res, 200, deps.metrics.snapshot()));
}
