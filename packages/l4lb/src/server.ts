/**
 * caravel-l4lb wiring: master sync → VIP table (pure) → data plane, applied in order and only when
 * the table changed; `/v1/vips` over HTTP. Nothing happens until `listen`.
 */
import { buildVipTable, emptyClusterView, startMasterSync, type ClusterView, type MasterSync, type VipEntry } from "@caravel/api";
import { listen as listenHttp, MetricsRegistry, type Listening, type Logger } from "@caravel/runtime";
import { defaultCidr, type L4lbConfig } from "./config.js";
import { openMasterSource, type MasterSource } from "@caravel/coordination";
import { mayChangeVips } from "./relevance.js";
import { l4lbRouter } from "./http/routes.js";
import { createKernelPlane, kernelPlaneAvailable } from "./plane/kernel.js";
import type { DataPlane } from "./plane/types.js";
import { addLoopbackAddress, createUserspacePlane } from "./plane/userspace.js";

export interface L4lbDeps {
  config: L4lbConfig;
  log: Logger;
  metrics?: MetricsRegistry;
  /** A ready plane (tests); otherwise chosen from `data_plane`. */
  plane?: DataPlane;
  noMaster?: boolean;
}

export interface L4lbServer {
  listen(): Promise<{ httpPort: number; httpUrl: string; plane: string; cidr: string }>;
  close(): Promise<void>;
  update(view: ClusterView): void;
  /** Resolves once everything handed to `update` so far is in the data plane. */
  settled(): Promise<void>;
  table(): readonly VipEntry[];
}

function userspacePlane(config: L4lbConfig): DataPlane {
  const root = process.getuid?.() === 0;
  return createUserspacePlane({ balance: config.balance, drainMs: config.drain_seconds * 1000, ...(root ? { ensureAddress: addLoopbackAddress } : {}) });
}

async function choosePlane(config: L4lbConfig, log: Logger): Promise<DataPlane> {
  if (config.data_plane === "userspace") return userspacePlane(config);
  const available = await kernelPlaneAvailable();
  if (config.data_plane === "kernel" && !available) throw new Error("--data_plane=kernel needs root and a working iptables (apt-get install -y iptables)");
  if (available) return createKernelPlane({ balance: config.kernel_balance, prefix: config.chain_prefix });
  log.warn("kernel plane unavailable (not root or no iptables); using the userspace proxy");
  return userspacePlane(config);
}

export function createServer(deps: L4lbDeps): L4lbServer {
  const { config, log } = deps;
  const metrics = deps.metrics ?? new MetricsRegistry();
  let plane: DataPlane | undefined = deps.plane;
  let cidr = config.vip_cidr;
  let view = emptyClusterView();
  let table: VipEntry[] = [];
  let applied = "[]";
  let chain: Promise<void> = Promise.resolve();
  let sync: MasterSync | undefined;
  let source: MasterSource | undefined;
  let http: Listening | undefined;
  const applies = metrics.counter("l4lb/applies", "data-plane updates");
  const failures = metrics.counter("l4lb/apply_failures");
  metrics.gauge("l4lb/vips", () => table.length);

  // At most one rebuild waits at a time: it reads the latest view when it runs, so more would only
  // rebuild the same table again.
  let queued = false;
  const reconcile = () => {
    if (queued) return;
    queued = true;
    chain = chain.then(async () => {
      queued = false;
      if (!plane) return;
      const next = buildVipTable(view, cidr);
      const text = JSON.stringify(next);
      if (text === applied) return;
      const started = performance.now();
      try {
        await plane.apply(next);
        table = next;
        applied = text;
        applies.inc();
        metrics.observe("l4lb/apply_ms", performance.now() - started);
      } catch (error) {
        failures.inc();
        log.error({ err: (error as Error).message }, "data plane update failed; will retry on the next change");
      }
    });
  };

  return {
    update(next) {
      view = next;
      reconcile();
    },
    settled: () => chain,
    table: () => table,
    async listen() {
      plane ??= await choosePlane(config, log);
      cidr ||= defaultCidr();
      const router = l4lbRouter({ table: () => table, plane: () => plane?.kind ?? "none", metrics, healthy: () => deps.noMaster === true || (sync?.synced() ?? false) });
      http = await listenHttp(router.listener(log), config.port ?? config.http_port, config.listen);
      if (!deps.noMaster) {
        source = await openMasterSource(config.master, log);
        const masters = source;
        sync = startMasterSync({
          masters: () => masters.urls(),
          resyncMs: config.refresh_seconds * 1000,
          onView: (next, cause, event) => {
            const before = view;
            view = next;
            if (cause === "event" && !mayChangeVips(before, next, event)) return;
            reconcile();
          },
          onError: (error, master) => log.warn({ master, err: (error as Error).message }, "lost the master; keeping the current VIPs"),
        });
        // A new leader: re-open the stream against it now (its SUBSCRIBE starts with a full resync).
        source.onChange(() => sync?.reconnect());
      }
      log.info({ http: http.url, plane: plane.kind, cidr }, "caravel-l4lb running");
      return { httpPort: http.port, httpUrl: http.url, plane: plane.kind, cidr };
    },
    async close() {
      sync?.close();
      await source?.close();
      await chain.catch(() => undefined);
      await http?.close();
      await plane?.close();
    },
  };
}
