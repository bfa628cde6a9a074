/**
 * The master's shared context: configuration, the in-memory cluster picture, and the effects the core
 * modules use (allocator, registry, event streams, timers). Core modules are functions over it, so that
 * no single file owns every concern.
 */
import type { MasterInfo } from "@caravel/api";
import type { Logger } from "@caravel/runtime";
import type { MetricsRegistry } from "@caravel/runtime";
import type { HierarchicalAllocator } from "../allocator/index.js";
import type { MasterConfig } from "../config.js";
import type { Registry } from "../registry.js";
import { IdGenerator, ipToMesosInt } from "../state/ids.js";
import { OperatorBus } from "../state/operator-bus.js";
import type { AgentRecord, FrameworkRecord } from "../state/types.js";

export const MASTER_VERSION = "1.11.0";

/** Allocation runs asked for by agent registrations are at least this far apart (see requestAgentAllocation). */
const AGENT_ALLOCATION_SPACING_MS = 50;

export interface MasterDeps {
  config: MasterConfig;
  log: Logger;
  allocator: HierarchicalAllocator;
  registry: Registry;
  metrics: MetricsRegistry;
  /** Wall clock in ms; injectable for tests. */
  now?: () => number;
}

export class MasterContext {
  readonly ids = new IdGenerator();
  readonly frameworks = new Map<string, FrameworkRecord>();
  readonly completedFrameworks: FrameworkRecord[] = [];
  readonly agents = new Map<string, AgentRecord>();
  /** Agents admitted before this master started, waiting to re-register (id → hostname). */
  readonly recoveredAgents = new Map<string, { hostname: string; port: number }>();
  /** Ids of agents marked gone: never admitted again. */
  readonly goneAgents = new Set<string>();
  readonly bus = new OperatorBus();
  readonly startTime: number;
  /** When this master was elected (ms); undefined while following. */
  electedTime: number | undefined;
  readonly masterInfo: MasterInfo;
  readonly counters: Record<string, number> = {};
  private allocationQueued = false;
  private agentAllocationTimer: NodeJS.Timeout | undefined;
  private lastAllocationRun = -Infinity;
  private lastAllocationMs = 0;
  private allocationHook: (() => void) | undefined;

  constructor(readonly deps: MasterDeps) {
    this.startTime = this.now();
    const ip = deps.config.advertise_ip ?? deps.config.ip;
    const hostname = deps.config.hostname ?? ip;
    this.masterInfo = {
      id: this.ids.masterId,
      ip: ipToMesosInt(ip),
      port: deps.config.port,
      pid: `master@${ip}:${deps.config.port}`,
      hostname,
      version: MASTER_VERSION,
      address: { hostname, ip, port: deps.config.port },
      capabilities: [{ type: "AGENT_UPDATE" }, { type: "AGENT_DRAINING" }, { type: "QUOTA_V2" }],
    };
  }

  /** Records the port actually bound (when --port 0 picked a free one). */
  setPort(port: number): void {
    const ip = this.masterInfo.address?.ip ?? "127.0.0.1";
    this.masterInfo.port = port;
    this.masterInfo.pid = `master@${ip}:${port}`;
    if (this.masterInfo.address) this.masterInfo.address.port = port;
  }

  get config(): MasterConfig {
    return this.deps.config;
  }

  get log(): Logger {
    return this.deps.log;
  }

  get allocator(): HierarchicalAllocator {
    return this.deps.allocator;
  }

  now(): number {
    return this.deps.now ? this.deps.now() : Date.now();
  }

  /** Seconds since the epoch, as Mesos timestamps are. */
  nowSeconds(): number {
    return this.now() / 1000;
  }

  count(name: string, by = 1): void {
    this.counters[name] = (this.counters[name] ?? 0) + by;
  }

  /** Asks for an allocation run soon (coalesced), as Mesos does on a new framework or REVIVE. */
  requestAllocation(): void {
    if (this.allocationQueued) return;
    this.allocationQueued = true;
    setImmediate(() => this.runRequestedAllocation());
  }

  /**
   * Asks for an allocation run because an agent (re-)registered or changed. These come in bursts —
   * after a failover every agent of the cluster re-registers within seconds — and each run is a cycle
   * over every agent, so one per arriving agent would cost agents² (10,000 agents: ~10 s of cycles).
   * They are coalesced into one run per AGENT_ALLOCATION_SPACING_MS (or ten times the last run's
   * length, if longer), and skipped while no framework is connected; a new agent waits that long at
   * most for its first offers, and framework-triggered runs are not delayed.
   */
  requestAgentAllocation(): void {
    if (this.allocationQueued || this.agentAllocationTimer) return;
    // No framework to offer to (a new leader before the frameworks re-subscribe): their SUBSCRIBE runs one.
    let connected = false;
    for (const fw of this.frameworks.values()) if ((connected = fw.connected)) break;
    if (!connected) return;
    // A cycle visits every agent (≈ 20 ms at 10,000): runs for arriving agents take at most a tenth of the loop.
    const spacing = Math.max(AGENT_ALLOCATION_SPACING_MS, 10 * this.lastAllocationMs);
    const wait = this.lastAllocationRun + spacing - performance.now();
    if (wait <= 0) return this.requestAllocation();
    this.agentAllocationTimer = setTimeout(() => {
      this.agentAllocationTimer = undefined;
      this.requestAllocation();
    }, wait);
    this.agentAllocationTimer.unref();
  }

  private runRequestedAllocation(): void {
    this.allocationQueued = false;
    if (this.agentAllocationTimer) clearTimeout(this.agentAllocationTimer);
    this.agentAllocationTimer = undefined;
    const started = performance.now();
    this.allocationHook?.();
    this.lastAllocationRun = performance.now();
    this.lastAllocationMs = this.lastAllocationRun - started;
  }

  onAllocationRequested(hook: () => void): void {
    this.allocationHook = hook;
  }
}
