/**
 * Builds a master from its dependencies: recovers the registry, wires the HTTP routes, and runs the
 * allocation and agent-liveness loops. `main.ts` supplies the real config, store and logger; tests
 * build one in-process on port 0.
 */
import { AGENT_API_PATH } from "@caravel/api";
import type { IncomingMessage, ServerResponse } from "node:http";
import { listen, MetricsRegistry, Router, sendText, type Listening, type Logger } from "@caravel/runtime";
import { HierarchicalAllocator } from "./allocator/index.js";
import { parseMinAllocatable, type MasterConfig } from "./config.js";
import { pingAgents } from "./core/agents.js";
import { MasterContext } from "./core/context.js";
import type { MaintenanceState } from "./core/maintenance.js";
import { runAllocation } from "./core/offers.js";
import { AgentCallParser } from "./http/agent-call.js";
import { agentHandler } from "./http/agent-api.js";
import { registerLegacyRoutes } from "./http/legacy.js";
import { operatorHandler, type OperatorDeps } from "./http/operator.js";
import { schedulerHandler } from "./http/scheduler.js";
import { alwaysLeader, redirectToLeader, type Leadership } from "./leadership.js";
import { registerMasterMetrics } from "./metrics.js";
import { Registry, memoryRegistryStore, type RegistryStore } from "./registry.js";

/** Ping rounds per agent_ping_timeout; each round pings the agents of one slot. */
const PING_SLICES = 16;

export interface MasterServerOptions {
  config: MasterConfig;
  log: Logger;
  /** Where the registry lives; in memory when absent (tests). */
  store?: RegistryStore;
  now?: () => number;
  /** Who leads (default: this master, always). With it, `lead()` must be called once elected. */
  leadership?: Leadership;
}

export interface MasterServer {
  readonly ctx: MasterContext;
  /** Serves HTTP; a single master also starts leading at once. */
  listen(): Promise<Listening>;
  /** Recovers the registry and starts the allocation and liveness loops (once elected). */
  lead(): Promise<void>;
  /**
   * A follower (HA) reads the registry ahead and tracks what changes, so that `lead()` reads only
   * that, and starts its agent-call worker. Resolves once both are done (or could not be); never
   * rejects.
   */
  standBy(): Promise<void>;
  close(): Promise<void>;
}

/** Endpoints a follower serves itself; everything else is redirected to the leader. */
const FOLLOWER_PATHS = new Set(["/health", "/master/health", "/metrics", "/version", "/master/version", "/master/redirect", "/redirect"]);

export async function createMaster(options: MasterServerOptions): Promise<MasterServer> {
  const { config, log } = options;
  const metrics = new MetricsRegistry();
  const allocator = new HierarchicalAllocator({ sorter: config.role_sorter, minAllocatable: parseMinAllocatable(config.min_allocatable_resources) });
  const registry = new Registry(options.store ?? memoryRegistryStore());
  const ctx = new MasterContext({ config, log, allocator, registry, metrics, now: options.now });
  const leadership = options.leadership ?? alwaysLeader(() => ctx.masterInfo);
  const maintenance: MaintenanceState = { schedule: { windows: [] }, quotas: new Map(), weights: new Map() };
  registerMasterMetrics(ctx, metrics);

  const deps: OperatorDeps = {
    maintenance,
    flags: () => Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)])),
    metrics: () => metrics.snapshot(),
    roles: () => allocator.roles(),
  };
  const router = new Router();
  router.on("POST", "/api/v1/scheduler", schedulerHandler(ctx));
  router.on("POST", "/api/v1", operatorHandler(ctx, deps));
  const agentCalls = new AgentCallParser();
  const recovery = new RecoveryGate();
  router.on("POST", AGENT_API_PATH, agentHandler(ctx, agentCalls, recovery.whenRecovered));
  router.on("GET", "/metrics", (_req, res) => sendText(res, 200, metrics.prometheus(), { "content-type": "text/plain; version=0.0.4" }));
  registerLegacyRoutes(router, ctx, deps, leadership);
  const routes = router.listener(log);
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0]!;
    if (FOLLOWER_PATHS.has(path)) return routes(req, res);
    if (!leadership.isLeader()) return redirectToLeader(res, leadership, req.url ?? "/");
    // Agent calls that arrive while a new leader recovers its registry wait for it (agent-api.ts).
    // Refused with a 503, as Mesos drops them, 10,000 agents came back three times each after a
    // failover and their refusals delayed the recovery they were waiting for.
    if (recovery.state !== "recovered" && !(path === AGENT_API_PATH && recovery.state === "recovering")) {
      return sendText(res, 503, "Master has not finished recovery");
    }
    routes(req, res);
  };

  ctx.onAllocationRequested(() => runAllocation(ctx));
  const timers: NodeJS.Timeout[] = [];
  let listening: Listening | undefined;

  const server: MasterServer = {
    ctx,
    async listen() {
      listening = await listen(listener, config.port, config.ip);
      ctx.setPort(listening.port);
      log.info({ url: listening.url, masterId: ctx.masterInfo.id }, "master listening");
      if (!options.leadership) await server.lead();
      return listening;
    },
    async lead() {
      const started = performance.now();
      recovery.begin();
      try {
        Object.assign(maintenance, await recoverRegistry(ctx, registry));
      } catch (error) {
        recovery.end(false);
        throw error;
      }
      metrics.observe("registrar/state_fetch_ms", performance.now() - started);
      ctx.electedTime = ctx.now();
      recovery.end(true);
      timers.push(setInterval(() => runAllocation(ctx), config.allocation_interval * 1000));
      let pingRound = 0;
      const pingInterval = (config.agent_ping_timeout * 1000) / PING_SLICES;
      timers.push(setInterval(() => pingAgents(ctx, pingRound++ % PING_SLICES, PING_SLICES), pingInterval));
      const { buckets: registryBuckets, read: registryBucketsRead } = registry.lastLoad ?? {};
      log.info({ masterId: ctx.masterInfo.id, recoveredAgents: ctx.recoveredAgents.size, registryBuckets, registryBucketsRead }, "leading");
    },
    async standBy() {
      const started = performance.now();
      const workerReady = agentCalls.warmUp();
      try {
        if (await registry.standBy()) log.info({ ms: Math.round(performance.now() - started) }, "registry read ahead (standing by)");
      } catch (error) {
        log.warn({ err: error }, "could not read the registry ahead; once elected, recovery reads all of it");
      }
      await workerReady;
    },
    async close() {
      registry.stopStandingBy();
      for (const t of timers) clearInterval(t);
      for (const fw of ctx.frameworks.values()) {
        if (fw.failoverTimer) clearTimeout(fw.failoverTimer);
        fw.stream?.end();
      }
      for (const agent of ctx.agents.values()) agent.stream?.end();
      ctx.bus.closeAll();
      await agentCalls.close();
      await listening?.close();
    },
  };
  return server;
}

/** Loads the durable registry; agents admitted earlier get `agent_reregister_timeout` to come back. */
async function recoverRegistry(ctx: MasterContext, registry: Registry): Promise<MaintenanceState> {
  const snapshot = await registry.load();
  for (const agent of snapshot.agents) {
    if (agent.state === "GONE") ctx.goneAgents.add(agent.id);
    else if (agent.state === "ADMITTED") ctx.recoveredAgents.set(agent.id, { hostname: agent.info.hostname, port: agent.info.port });
  }
  if (ctx.recoveredAgents.size > 0) {
    const timer = setTimeout(() => {
      for (const [id, a] of ctx.recoveredAgents) {
        ctx.log.warn({ agentId: id }, "recovered agent did not re-register in time; marking it unreachable");
        void registry.putAgent({ id, info: { hostname: a.hostname, port: a.port, resources: [], attributes: [] }, state: "UNREACHABLE", since: ctx.now() });
      }
      ctx.recoveredAgents.clear();
    }, ctx.config.agent_reregister_timeout * 1000);
    timer.unref();
  }
  for (const quota of snapshot.quotas) {
    const scalars = (m?: Record<string, { value: number }>) => (m ? Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.value])) : undefined);
    ctx.allocator.setQuota(quota.role, { guarantees: scalars(quota.guarantees), limits: scalars(quota.limits) });
  }
  ctx.allocator.setWeights(snapshot.weights);
  return {
    schedule: snapshot.maintenance,
    quotas: new Map(snapshot.quotas.map((q) => [q.role, q])),
    weights: new Map(Object.entries(snapshot.weights)),
  };
}

/** Whether a new leader has recovered its registry; what waits for that. */
class RecoveryGate {
  state: "not-leading" | "recovering" | "recovered" = "not-leading";
  private held: Array<{ run: () => void; refuse: () => void }> = [];

  readonly whenRecovered = (run: () => void, refuse: () => void): void => {
    if (this.state === "recovered") run();
    else if (this.state === "recovering") this.held.push({ run, refuse });
    else refuse();
  };

  begin(): void {
    this.state = "recovering";
  }

  end(recovered: boolean): void {
    this.state = recovered ? "recovered" : "not-leading";
    const held = this.held;
    this.held = [];
    for (const { run, refuse } of held) (recovered ? run : refuse)();
  }
}
