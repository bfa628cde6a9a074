/**
 * HierarchicalAllocator: Mesos' built-in "HierarchicalDRF" allocator as a pure object. The master
 * tells it about agents, frameworks and resources given back, and calls `allocate(now)` every
 * allocation interval and at once on a new agent, a new framework or REVIVE; each call returns the
 * offers to make. No timers, no I/O, no clock: time comes in as `now` (ms).
 *
 * Offered resources count as allocated until `recover` gives them back; a task's resources stay
 * allocated until its end is recovered. See cycle.ts for the ordering rules.
 */
import type { Resource } from "@caravel/api";
import { Bag, addBags, bagContains, bagEquals, intersectBags, subtractBags } from "./bag.js";
import { toBag, toResources } from "./wire-form.js";
import { AllocatorBook } from "./book.js";
import { runCycle } from "./cycle.js";
import { AgentState, FrameworkState } from "./state.js";
import type { Allocation, AllocatorAgent, AllocatorFramework, AllocatorMetrics, AllocatorOptions, QuotaSpec, RoleInfo } from "./types.js";

const MAX_REFUSE_SECONDS = 365 * 24 * 3600;
const DEFAULT_REFUSE_SECONDS = 5;

export class HierarchicalAllocator {
  private readonly book: AllocatorBook;
  private runs = 0;
  private lastRunMs: number | undefined;
  private lastRunAt: number | undefined;
  private lastOffers = 0;
  private totalOffers = 0;
  private lastSkipped = 0;

  constructor(options: AllocatorOptions = {}) {
    this.book = new AllocatorBook(options);
  }

  // ---- agents ---------------------------------------------------------------------------------

  /**
   * Adds an agent with resources already in use by tasks (re-registration). Allocations of
   * frameworks not yet added are held aside and counted once the framework is added. Adding a
   * known agent replaces it.
   */
  addAgent(agent: AllocatorAgent, used: Array<{ frameworkId: string; role: string; resources: Resource[] }> = []): void {
    const b = this.book;
    if (b.agents.has(agent.id)) this.removeAgent(agent.id);
    const state = new AgentState(agent.id, b.agentList.length, agent);
    b.agents.set(agent.id, state);
    b.agentList.push(state);
    state.total = toBag(b.registry, agent.total);
    state.available = state.total;
    b.countTotal(state, 1);
    for (const u of used) {
      const part = intersectBags(state.available, toBag(b.registry, u.resources));
      if (part.isEmpty) continue;
      const fw = b.frameworks.get(u.frameworkId);
      if (fw) {
        b.allocateOn(state, b.client(fw, u.role), part);
        continue;
      }
      const entry = state.allocations.get(u.frameworkId, u.role) ?? { frameworkId: u.frameworkId, role: u.role, bag: Bag.EMPTY, tracked: false };
      entry.bag = addBags(entry.bag, part);
      state.allocations.set(entry);
      state.available = subtractBags(state.available, part);
      let agents = b.pending.get(u.frameworkId);
      if (!agents) b.pending.set(u.frameworkId, (agents = new Set()));
      agents.add(state);
    }
  }

  /** Removes an agent; whatever frameworks held there is forgotten (the master fails its tasks). */
  removeAgent(agentId: string): void {
    const b = this.book;
    const agent = b.agents.get(agentId);
    if (!agent) return;
    for (const entry of [...agent.allocations.values()]) {
      if (entry.tracked) b.account(entry, entry.bag, -1, true);
      else b.pending.get(entry.frameworkId)?.delete(agent);
      entry.bag = Bag.EMPTY;
      b.forgetEntry(agent, entry);
    }
    for (const client of agent.filters.keys()) client.filteredAgents.delete(agent);
    agent.filters.clear();
    b.countTotal(agent, -1);
    const last = b.agentList.pop()!;
    if (last !== agent) {
      b.agentList[agent.index] = last;
      last.index = agent.index;
    }
    b.agents.delete(agentId);
  }

  /** The agent's total changed (reservations, volumes, resized): available = total − allocations. */
  updateAgentTotal(agentId: string, total: Resource[]): void {
    const b = this.book;
    const agent = b.agents.get(agentId);
    if (!agent) return;
    b.countTotal(agent, -1);
    agent.total = toBag(b.registry, total);
    b.countTotal(agent, 1);
    let available = agent.total;
    for (const entry of agent.allocations.values()) available = subtractBags(available, entry.bag);
    agent.available = available;
    agent.version++;
  }

  activateAgent(agentId: string): void {
    const agent = this.book.agents.get(agentId);
    if (agent) agent.active = true;
  }

  /** Deactivated (or draining) agents get no offers; their allocations stay. */
  deactivateAgent(agentId: string): void {
    const agent = this.book.agents.get(agentId);
    if (agent) agent.active = false;
  }

  /** What the agent has not allocated to anyone (for the state endpoints and tests). */
  available(agentId: string): Resource[] {
    const agent = this.book.agents.get(agentId);
    return agent ? toResources(agent.available) : [];
  }

  // ---- frameworks -----------------------------------------------------------------------------

  /**
   * Adds a framework (active). `used`: what it holds on known agents (from its re-subscription);
   * anything an agent already reported for it is not counted twice.
   */
  addFramework(fw: AllocatorFramework, used: Array<{ agentId: string; role: string; resources: Resource[] }> = []): void {
    const b = this.book;
    if (b.frameworks.has(fw.id)) return this.updateFramework(fw);
    const state = new FrameworkState(fw.id);
    b.frameworks.set(fw.id, state);
    this.applyInfo(state, fw);
    for (const agent of b.pending.get(fw.id) ?? []) {
      for (const entry of agent.allocations.values()) {
        if (entry.frameworkId !== fw.id || entry.tracked) continue;
        const client = b.client(state, entry.role);
        entry.tracked = true;
        client.allocations.set(agent, entry);
        b.account(entry, entry.bag, 1, true);
      }
    }
    b.pending.delete(fw.id);
    for (const u of used) {
      const agent = b.agents.get(u.agentId);
      if (!agent) continue;
      const held = agent.allocations.get(fw.id, u.role)?.bag ?? Bag.EMPTY;
      const extra = intersectBags(subtractBags(toBag(b.registry, u.resources), held), agent.available);
      if (!extra.isEmpty) b.allocateOn(agent, b.client(state, u.role), extra);
    }
  }

  /** New roles, capabilities, suppressed roles or min-allocatable sets (UPDATE_FRAMEWORK). */
  updateFramework(fw: AllocatorFramework): void {
    const state = this.book.frameworks.get(fw.id);
    if (!state) return this.addFramework(fw);
    this.applyInfo(state, fw);
  }

  /** Removes a framework: everything it held is released, its filters dropped. */
  removeFramework(frameworkId: string): void {
    const b = this.book;
    const fw = b.frameworks.get(frameworkId);
    if (!fw) {
      for (const agent of b.pending.get(frameworkId) ?? []) {
        for (const entry of [...agent.allocations.values()]) {
          if (entry.frameworkId !== frameworkId) continue;
          agent.allocations.delete(frameworkId, entry.role);
          agent.available = addBags(agent.available, entry.bag);
          agent.version++;
        }
      }
      b.pending.delete(frameworkId);
      return;
    }
    for (const client of [...fw.clients.values()]) {
      for (const [agent, entry] of [...client.allocations]) b.release(agent, entry, entry.bag);
      client.subscribed = false;
      b.dropClientIfIdle(client);
    }
    b.frameworks.delete(frameworkId);
  }

  /** A (re)connected framework gets offers again. */
  activateFramework(frameworkId: string): void {
    this.setActive(frameworkId, true);
  }

  /** A disconnected framework gets no offers; what it holds stays allocated. */
  deactivateFramework(frameworkId: string): void {
    this.setActive(frameworkId, false);
  }

  /** Stops offers for the given roles (none or empty = all its roles). */
  suppress(frameworkId: string, roles?: string[]): void {
    for (const client of this.clientsOf(frameworkId, roles)) {
      client.suppressed = true;
      this.book.refreshClient(client);
    }
  }

  /** Resumes offers for the given roles (none or empty = all) and clears their refusal filters. */
  revive(frameworkId: string, roles?: string[]): void {
    for (const client of this.clientsOf(frameworkId, roles)) {
      client.suppressed = false;
      this.book.clearFilters(client);
      this.book.refreshAndTouch(client);
    }
  }

  // ---- resources ------------------------------------------------------------------------------

  /**
   * Resources given back (declined, unused part of an accepted offer, task ended, offer rescinded).
   * A filter of refuseSeconds > 0 stops re-offering a subset of `resources` on that agent to that
   * framework+role until now + max(refuseSeconds, allocationInterval); a negative refuseSeconds
   * means Mesos' default of 5 s; values are capped at 365 days.
   */
  recover(frameworkId: string, agentId: string, role: string, resources: Resource[], filter?: { refuseSeconds: number; now: number; allocationIntervalMs?: number }): void {
    const b = this.book;
    const agent = b.agents.get(agentId);
    if (!agent) return;
    let bag = toBag(b.registry, resources);
    const entry = agent.allocations.get(frameworkId, role);
    // A whole offer coming back (the usual decline) keeps its bag's identity: the next offer of
    // the same resources then reuses its wire form and min-allocatable verdict.
    if (entry && bagEquals(entry.bag, bag)) bag = entry.bag;
    if (entry) {
      const part = bag === entry.bag ? bag : intersectBags(entry.bag, bag);
      if (!part.isEmpty) {
        if (entry.tracked) b.release(agent, entry, part);
        else {
          entry.bag = subtractBags(entry.bag, part);
          agent.available = addBags(agent.available, part);
          agent.version++;
          if (entry.bag.isEmpty) {
            agent.allocations.delete(frameworkId, role);
            b.pending.get(frameworkId)?.delete(agent);
          }
        }
      }
    }
    if (!filter || bag.isEmpty) return;
    let seconds = Number.isNaN(filter.refuseSeconds) ? DEFAULT_REFUSE_SECONDS : filter.refuseSeconds;
    if (seconds < 0) seconds = DEFAULT_REFUSE_SECONDS;
    if (seconds === 0) return;
    const client = b.frameworks.get(frameworkId)?.clients.get(role);
    if (!client) return;
    const ms = Math.max(Math.min(seconds, MAX_REFUSE_SECONDS) * 1000, filter.allocationIntervalMs ?? b.intervalMs);
    const list = agent.filters.get(client);
    const f = { bag, expires: filter.now + ms };
    if (list) list.push(f);
    else agent.filters.set(client, [f]);
    client.filteredAgents.add(agent);
  }

  /**
   * An operation (RESERVE, UNRESERVE, CREATE, DESTROY, …) turned `from` into `to` inside what the
   * framework holds on the agent: both the allocation and the agent's total change. The master
   * validates the operation first; an allocation that does not hold `from` is an error.
   */
  updateAllocation(frameworkId: string, agentId: string, role: string, from: Resource[], to: Resource[]): void {
    const b = this.book;
    const agent = b.agents.get(agentId);
    const entry = agent?.allocations.get(frameworkId, role);
    const fromBag = toBag(b.registry, from);
    const toBag_ = toBag(b.registry, to);
    if (!agent || !entry || !bagContains(entry.bag, fromBag)) {
      throw new Error(`allocator: framework ${frameworkId} (role ${role}) does not hold the resources to convert on agent ${agentId}`);
    }
    b.account(entry, fromBag, -1, true);
    entry.bag = addBags(subtractBags(entry.bag, fromBag), toBag_);
    b.account(entry, toBag_, 1, true);
    b.countTotal(agent, -1);
    agent.total = addBags(subtractBags(agent.total, fromBag), toBag_);
    b.countTotal(agent, 1);
  }

  // ---- policy ---------------------------------------------------------------------------------

  /** Sets role weights (roles not named keep theirs; weight 1 is the default). */
  setWeights(weights: Record<string, number>): void {
    for (const [role, weight] of Object.entries(weights)) {
      if (weight === 1) this.book.weights.delete(role);
      else this.book.weights.set(role, weight);
      this.book.roleSorter.updateWeight(role, weight);
    }
  }

  /** Sets (or with undefined removes) a role's quota. */
  setQuota(role: string, quota: QuotaSpec | undefined): void {
    const b = this.book;
    if (!quota || (Object.keys(quota.guarantees ?? {}).length === 0 && Object.keys(quota.limits ?? {}).length === 0)) b.quotas.delete(role);
    else b.quotas.set(role, { role, spec: quota, guarantees: b.nameVector(quota.guarantees), limits: b.nameVector(quota.limits) });
    b.touchAll();
  }

  // ---- cycles and views -----------------------------------------------------------------------

  /** One allocation cycle over the given agents (default all). `now` in ms. */
  allocate(now: number, agentIds?: Iterable<string>): Allocation[] {
    const out: Allocation[] = [];
    this.allocateEach(now, (a) => out.push(a), agentIds);
    return out;
  }

  /**
   * The same cycle, handing each allocation to `emit` as soon as it is final — right after its
   * agent's visit, unless quota guarantees need a second stage (then at the end) — so that the
   * first offers can leave while the cycle goes on. `emit` must not call into the allocator (give
   * resources back after the cycle). Returns the number of allocations.
   */
  allocateEach(now: number, emit: (allocation: Allocation) => void, agentIds?: Iterable<string>): number {
    const result = runCycle(this.book, now, agentIds, emit);
    this.runs++;
    this.lastRunAt = now;
    this.lastOffers = result.allocations;
    this.totalOffers += result.allocations;
    this.lastSkipped = result.skippedAgents;
    return result.allocations;
  }

  /** The master times `allocate` (the allocator has no clock) and reports it here for metrics. */
  recordRunDuration(ms: number): void {
    this.lastRunMs = ms;
  }

  /** Roles with frameworks, reservations, weights or quota, and their ancestors, by name. */
  roles(): RoleInfo[] {
    const b = this.book;
    const names = new Set<string>([...b.roles.keys(), ...b.weights.keys(), ...b.quotas.keys()]);
    for (const name of [...names]) for (let i = name.indexOf("/"); i > 0; i = name.indexOf("/", i + 1)) names.add(name.slice(0, i));
    return [...names].sort().map((name) => {
      const role = b.roles.get(name);
      const reserved: number[] = [];
      for (const r of b.roles.values()) if (r.name === name || r.name.startsWith(`${name}/`)) r.reserved.forEach((v, i) => (reserved[i] = (reserved[i] ?? 0) + v));
      const quota = b.quotas.get(name);
      const info: RoleInfo = {
        name,
        weight: b.weights.get(name) ?? 1,
        frameworks: role ? [...role.clients].filter((c) => c.subscribed).map((c) => c.framework.id).sort() : [],
        allocated: b.named(b.roleSorter.allocation(name)),
        reserved: b.named(reserved),
        share: b.roleSorter.share(name),
      };
      if (quota) info.quota = { ...quota.spec, consumed: b.named(b.consumedOf(name)) };
      return info;
    });
  }

  metrics(): AllocatorMetrics {
    const b = this.book;
    let filters = 0;
    let activeAgents = 0;
    for (const a of b.agentList) {
      if (a.active) activeAgents++;
      for (const list of a.filters.values()) filters += list.length;
    }
    const allocated: number[] = [];
    for (const a of b.agentList) for (const e of a.allocations.values()) for (const x of e.bag.entries) if (x.kind.type === "SCALAR") allocated[x.kind.nameId] = (allocated[x.kind.nameId] ?? 0) + x.scalar;
    const out: AllocatorMetrics = {
      allocationRuns: this.runs,
      lastOffers: this.lastOffers,
      totalOffers: this.totalOffers,
      lastSkippedAgents: this.lastSkipped,
      agents: b.agents.size,
      activeAgents,
      frameworks: b.frameworks.size,
      activeFrameworks: [...b.frameworks.values()].filter((f) => f.active).length,
      filters,
      total: b.named(b.totals.values),
      allocated: b.named(allocated.map((v) => Math.round(v * 1000) / 1000)),
    };
    if (this.lastRunMs !== undefined) out.lastRunMs = this.lastRunMs;
    if (this.lastRunAt !== undefined) out.lastRunAt = this.lastRunAt;
    return out;
  }

  // ---- helpers --------------------------------------------------------------------------------

  private applyInfo(state: FrameworkState, fw: AllocatorFramework): void {
    const b = this.book;
    state.capabilities = new Set(fw.capabilities);
    state.gpu = state.capabilities.has("GPU_RESOURCES");
    state.minAllocatable = new Map(Object.entries(fw.minAllocatable ?? {}).map(([role, sets]) => [role, b.compileMinAllocatable(sets)]));
    const roles = new Set(fw.roles);
    const suppressed = fw.suppressedRoles ? new Set(fw.suppressedRoles) : undefined;
    for (const client of [...state.clients.values()]) {
      if (roles.has(client.role)) continue;
      client.subscribed = false;
      b.refreshClient(client);
      b.dropClientIfIdle(client);
    }
    for (const role of roles) {
      const client = b.client(state, role);
      client.subscribed = true;
      if (suppressed) client.suppressed = suppressed.has(role);
      // New capabilities or min-allocatable sets concern only this framework's clients.
      b.refreshAndTouch(client);
    }
  }

  private setActive(frameworkId: string, active: boolean): void {
    const fw = this.book.frameworks.get(frameworkId);
    if (!fw) return;
    fw.active = active;
    for (const client of fw.clients.values()) this.book.refreshClient(client);
  }

  private clientsOf(frameworkId: string, roles?: string[]) {
    const fw = this.book.frameworks.get(frameworkId);
    if (!fw) return [];
    const all = [...fw.clients.values()].filter((c) => c.subscribed);
    return roles && roles.length > 0 ? all.filter((c) => roles.includes(c.role)) : all;
  }
}
