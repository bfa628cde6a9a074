/**
 * caravel-dns wiring: master sync → record generation (coalesced, swapped atomically) → DNS
 * listeners and the HTTP API. `createServer` has no side effects until `listen`.
 */
import { networkInterfaces } from "node:os";
import { emptyClusterView, startMasterSync, statusTimestampMs, touchedTaskIds, type ClusterView, type MasterSync } from "@caravel/api";
import { listen as listenHttp, type Listening, type Logger, MetricsRegistry } from "@caravel/runtime";
import { ipSourcesOf, masterUrls, mesosDnsConfigView, vipCidrOf, type DnsConfig } from "./config.js";
import { dnsRouter } from "./http/routes.js";
import type { GenerateOptions } from "./records/generate.js";
import { RecordStore } from "./records/store.js";
import type { RecordSet } from "./records/record-set.js";
import { addDummyAddress } from "./server/dummy-interface.js";
import { createForwarder, parseUpstream, systemResolvers } from "./server/forwarder.js";
import { createQueryHandler } from "./server/handler.js";
import { listenDns, type DnsListener } from "./server/sockets.js";
import { openMasterSource, type MasterSource } from "@caravel/coordination";

export const VERSION = "0.1.0-caravel";

const interfaceIps = (): string[] =>
  Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => a.family === "IPv4")
    .map((a) => a.address);

export interface DnsServerDeps {
  config: DnsConfig;
  log: Logger;
  metrics?: MetricsRegistry;
  /** Start without following a master (tests feed views through `update`). */
  noMaster?: boolean;
  /** Another process (the cluster primary) owns the dedicated address; only bind to it. */
  dummyOwnedElsewhere?: boolean;
}

export interface DnsServer {
  listen(): Promise<{ dnsPort: number; tcpPort: number; httpPort: number; httpUrl: string }>;
  close(): Promise<void>;
  /** Replaces the cluster view (what the master sync does on every change). */
  update(view: ClusterView): void;
  records(): RecordSet;
}

export function createServer(deps: DnsServerDeps): DnsServer {
  const { config, log } = deps;
  const metrics = deps.metrics ?? new MetricsRegistry();
  const resolvers = config.resolvers ? config.resolvers.split(",").map((s) => s.trim()).filter(Boolean) : systemResolvers();
  // Never forward to ourselves: that would loop until every query times out.
  // (the dedicated address answers on 53, so a resolv.conf naming it — as on agents that use it — is us too).
  const self = (u: { host: string; port: number }) => (u.port === config.port && (u.host === config.listen || u.host === config.dummy_ip)) || (u.port === 53 && u.host === config.dummy_ip);
  const upstreams = resolvers.map(parseUpstream).filter((u) => !self(u));
  const options: GenerateOptions = {
    domain: config.domain,
    ttl: config.ttl,
    ipSources: ipSourcesOf(config),
    // ns1.<domain>: the listener, or every interface address when listening on 0.0.0.0 (as Mesos-DNS).
    nameserverIps: [...(config.listen === "0.0.0.0" ? interfaceIps() : [config.listen]), ...(config.dummy_ip ? [config.dummy_ip] : [])],
    // masterN.<domain> for each master given by address (Mesos-DNS's static `masters` list).
    masters: masterUrls(config).map((u) => new URL(u).hostname).filter((h) => /^\d+\.\d+\.\d+\.\d+$/.test(h)),
    vipCidr: vipCidrOf(config),
  };
  let view = emptyClusterView();
  const store = new RecordStore(options);
  store.update(view);
  const set = store.records();
  // SOA serials keep growing across restarts: start from the clock.
  const epoch = Math.floor(Date.now() / 1000);
  const generation = () => epoch + store.generation;
  let scheduled = false;
  // Tasks the events since the last rebuild touched; undefined = diff everything (resync, agents, …).
  let touched: Set<string> | undefined = new Set();
  const regenerate = () => {
    scheduled = false;
    const started = performance.now();
    store.update(view, touched);
    touched = new Set();
    metrics.observe("dns/regenerate_ms", performance.now() - started);
  };
  const update = (next: ClusterView, event?: unknown) => {
    view = next;
    // How old a task status is when it reaches us (agent clock = ours on one host): the propagation
    // bench reads it to split the path into agent → master → here and here → answer.
    const running = (event as { task_updated?: { state?: string } } | undefined)?.task_updated?.state === "TASK_RUNNING";
    const stamped = running ? statusTimestampMs(event) : undefined;
    if (stamped !== undefined) metrics.observe("dns/running_lag_ms", Date.now() - stamped);
    const ids = event === undefined ? undefined : touchedTaskIds(event);
    if (ids === undefined) touched = undefined;
    else for (const id of ids) touched?.add(id);
    if (!scheduled) {
      scheduled = true;
      setImmediate(regenerate);
    }
  };

  const queries = metrics.counter("dns/queries", "DNS messages answered");
  const byKind = { authoritative: metrics.counter("dns/authoritative"), forwarded: metrics.counter("dns/forwarded"), error: metrics.counter("dns/errors") };
  const nxdomain = metrics.counter("dns/nxdomain");
  metrics.gauge("dns/records", () => set.size, "names in the record set");
  metrics.gauge("dns/synced", () => (sync?.synced() ? 1 : 0));

  const forwarder = upstreams.length ? createForwarder(upstreams, config.timeout * 1000) : undefined;
  const handler = createQueryHandler({
    records: () => set,
    generation,
    forwarder,
    authoritativeOnly: config.authoritative_only,
    soa: { refresh: 60, retry: 600, expire: 86400, minimum: config.ttl },
    onAnswer(rcode, kind) {
      queries.inc();
      byKind[kind].inc();
      if (rcode === "NXDOMAIN") nxdomain.inc();
    },
  });

  let sync: MasterSync | undefined;
  let source: MasterSource | undefined;
  const listeners: DnsListener[] = [];
  let http: Listening | undefined;
  let removeDummy: (() => void) | undefined;

  return {
    update,
    records: () => set,
    async listen() {
      const main = await listenDns(handler, config.listen, config.port);
      listeners.push(main);
      if (config.dummy_ip) {
        if (!deps.dummyOwnedElsewhere) removeDummy = addDummyAddress(config.dummy_ip);
        listeners.push(await listenDns(handler, config.dummy_ip, 53));
        log.info({ address: `${config.dummy_ip}:53` }, "answering on the dummy interface address");
      }
      const router = dnsRouter({
        records: () => set,
        config: mesosDnsConfigView(config, resolvers),
        metrics,
        healthy: () => deps.noMaster === true || (sync?.synced() ?? false),
        version: VERSION,
      });
      http = await listenHttp(router.listener(log), config.http_port, config.listen);
      if (!deps.noMaster) {
        source = await openMasterSource(config.master, log);
        const masters = source;
        sync = startMasterSync({
          masters: () => masters.urls(),
          resyncMs: config.refresh_seconds * 1000,
          onView: (next, _cause, event) => update(next, event),
          onError: (error, master) => log.warn({ master, err: (error as Error).message }, "lost the master; keeping the last records"),
        });
        // A new leader: re-open the stream against it now (its SUBSCRIBE starts with a full resync).
        source.onChange(() => sync?.reconnect());
      }
      log.info({ dns: `${config.listen}:${main.udpPort}`, http: http.url, upstreams: upstreams.map((u) => `${u.host}:${u.port}`) }, "caravel-dns listening");
      return { dnsPort: main.udpPort, tcpPort: main.tcpPort, httpPort: http.port, httpUrl: http.url };
    },
    async close() {
      sync?.close();
      await source?.close();
      await Promise.all(listeners.map((l) => l.close()));
      await http?.close();
      forwarder?.close();
      removeDummy?.();
    },
  };
}
