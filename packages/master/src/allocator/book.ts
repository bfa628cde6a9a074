/**
 * AllocatorBook: the allocator's state and the bookkeeping that keeps it consistent — agent
 * availability, per-(framework, role) allocations, sorter shares, role reservations and the global
 * vectors quota headroom needs. The public API (hierarchical.ts) and the cycle (cycle.ts) both work
 * through it, so every change to an allocation goes through `allocateOn` / `release`.
 */
import { Bag, KindRegistry, addBags, addScalarsInto, bagContains, scalarVector, subtractBags } from "./bag.js";
import type { Entry } from "./bag.js";
import { DrfSorter } from "./drf-sorter.js";
import type { ResolvedQuota } from "./quota.js";
import { RandomSorter } from "./random-sorter.js";
import { seededRandom } from "./random.js";
import { ClusterTotals, addInto } from "./sorter.js";
import type { Quantities, Sorter } from "./sorter.js";
import { AgentState, ClientState, FrameworkState, RoleState } from "./state.js";
import type { AllocationEntry } from "./state.js";
import type { AllocatorOptions } from "./types.js";

const isUnreservedScalar = (e: Entry): boolean => !e.kind.reserved && !e.kind.revocable;
/** Single-client bumps remembered before they count as one broad bump (a scan per idle agent). */
const MAX_NARROW_BUMPS = 64;

export class AllocatorBook {
  readonly registry = new KindRegistry();
  readonly totals = new ClusterTotals();
  readonly agents = new Map<string, AgentState>();
  /** Dense list for fast cycles; `AgentState.index` is the position. */
  readonly agentList: AgentState[] = [];
  readonly frameworks = new Map<string, FrameworkState>();
  readonly roles = new Map<string, RoleState>();
  readonly roleSorter: Sorter;
  readonly quotas = new Map<string, ResolvedQuota>();
  readonly weights = new Map<string, number>();
  /** Unreserved, non-revocable scalars: on all agents / allocated. Quota headroom uses them. */
  readonly unreservedTotal: number[] = [];
  readonly unreservedAllocated: number[] = [];
  /** Agents holding allocations of frameworks not (yet) added, by framework id. */
  readonly pending = new Map<string, Set<AgentState>>();
  readonly minAllocatable: Array<Array<[number, number]>>;
  readonly excluded: ReadonlySet<number>;
  readonly random: () => number;
  readonly filterGpu: boolean;
  readonly intervalMs: number;
  readonly cpusId: number;
  readonly memId: number;
  readonly gpusId: number;
  /** Bumped when a change may make an idle agent offerable again (see AgentState.idleEpoch). */
  epoch = 0;
  /** The last bump that may concern every client (quota, or too many single-client bumps). */
  private broadEpoch = 0;
  /** Bumps since `broadEpoch` that concern one client each, oldest first (see `newcomer`). */
  private readonly narrow: Array<{ epoch: number; client: ClientState }> = [];
  /** Testing: visit every agent fully in every cycle (no skip cache, no newcomer-only visits). */
  readonly fullVisits: boolean;
  private nextClientId = 0;
  private readonly sorterKind: "drf" | "random";

  constructor(options: AllocatorOptions = {}) {
    this.sorterKind = options.sorter ?? "drf";
    this.random = options.random ?? seededRandom(0x5eed);
    this.filterGpu = options.filterGpuResources ?? true;
    this.intervalMs = options.allocationIntervalMs ?? 1000;
    this.fullVisits = options.fullVisits ?? false;
    this.cpusId = this.registry.nameId("cpus");
    this.memId = this.registry.nameId("mem");
    this.gpusId = this.registry.nameId("gpus");
    this.excluded = new Set((options.fairnessExcludedResourceNames ?? []).map((n) => this.registry.nameId(n)));
    this.minAllocatable = this.compileMinAllocatable(options.minAllocatable ?? [{ cpus: 0.01 }, { mem: 32 }]);
    this.roleSorter = this.makeSorter(true);
  }

  makeSorter(hierarchical: boolean): Sorter {
    const options = { totals: this.totals, excludedNameIds: this.excluded, hierarchical, random: this.random };
    return this.sorterKind === "random" ? new RandomSorter(options) : new DrfSorter(options);
  }

  compileMinAllocatable(sets: Array<Record<string, number>>): Array<Array<[number, number]>> {
    return sets.map((set) => Object.entries(set).map(([name, q]): [number, number] => [this.registry.nameId(name), q]));
  }

  role(name: string): RoleState {
    let role = this.roles.get(name);
    if (!role) {
      role = new RoleState(name, this.makeSorter(false));
      this.roles.set(name, role);
      this.roleSorter.add(name);
    }
    return role;
  }

  /** Forgets a role that has no clients and no reservations left. */
  dropRoleIfUnused(role: RoleState): void {
    if (role.clients.size > 0 || role.reserved.some((v) => v > 0)) return;
    this.roles.delete(role.name);
    this.roleSorter.remove(role.name);
  }

  client(fw: FrameworkState, roleName: string): ClientState {
    let client = fw.clients.get(roleName);
    if (!client) {
      client = new ClientState(this.nextClientId++, fw, roleName);
      fw.clients.set(roleName, client);
      const role = this.role(roleName);
      role.clients.add(client);
      role.sorter.add(fw.id);
    }
    return client;
  }

  /**
   * A change that may let this one client take what idle agents hold (it became offerable, was
   * revived, changed its framework's info). Idle agents then show only this client its offer
   * instead of running every incumbent's filters again (a new framework among 1,000 declined agents).
   */
  touch(client: ClientState): void {
    this.epoch++;
    if (this.narrow.length >= MAX_NARROW_BUMPS) this.touchAll();
    else this.narrow.push({ epoch: this.epoch, client });
  }

  /** A change that may let any client take what idle agents hold (quota). */
  touchAll(): void {
    this.epoch++;
    this.broadEpoch = this.epoch;
    this.narrow.length = 0;
  }

  /**
   * What an agent found idle at epoch `since` must be shown now: undefined when nothing happened
   * since, the one client when every bump since concerned only it, null when a full visit is needed.
   */
  newcomer(since: number): ClientState | null | undefined {
    if (since === this.epoch) return undefined;
    if (since < this.broadEpoch) return null;
    let one: ClientState | undefined;
    for (let i = this.narrow.length - 1; i >= 0 && this.narrow[i]!.epoch > since; i--) {
      const client = this.narrow[i]!.client;
      if (one === undefined) one = client;
      else if (one !== client) return null;
    }
    return one ?? null;
  }

  /** Brings the sorters' activity in line with the client's flags. */
  refreshClient(client: ClientState): void {
    const role = this.role(client.role);
    const want = client.offerable;
    if (want === role.sorter.isActive(client.framework.id)) return;
    if (want) role.sorter.activate(client.framework.id);
    else role.sorter.deactivate(client.framework.id);
    role.activeClients += want ? 1 : -1;
    // A newly offerable client may take what idle agents hold: invalidate their skip cache.
    if (want) this.touch(client);
    if (role.activeClients === 1 && want) this.roleSorter.activate(role.name);
    if (role.activeClients === 0) this.roleSorter.deactivate(role.name);
  }

  /**
   * `refreshClient`, and a bump for this client either way (one, not two): its filters, capabilities
   * or min-allocatable sets changed, which concerns only it.
   */
  refreshAndTouch(client: ClientState): void {
    const epoch = this.epoch;
    this.refreshClient(client);
    if (this.epoch === epoch) this.touch(client);
  }

  /** Removes a client that is neither subscribed nor holding anything. */
  dropClientIfIdle(client: ClientState): void {
    if (client.subscribed || client.allocations.size > 0) return;
    client.suppressed = true;
    this.refreshClient(client);
    this.clearFilters(client);
    const role = this.role(client.role);
    role.clients.delete(client);
    role.sorter.remove(client.framework.id);
    client.framework.clients.delete(client.role);
    this.dropRoleIfUnused(role);
  }

  clearFilters(client: ClientState): void {
    for (const agent of client.filteredAgents) agent.filters.delete(client);
    client.filteredAgents.clear();
  }

  /** Gives `bag` (already checked to be available) to a client on an agent. */
  allocateOn(agent: AgentState, client: ClientState, bag: Bag, updateSorters = true): AllocationEntry {
    let entry = client.allocations.get(agent);
    if (!entry) {
      entry = { frameworkId: client.framework.id, role: client.role, bag: Bag.EMPTY, tracked: true };
      agent.allocations.set(entry);
      client.allocations.set(agent, entry);
    }
    entry.bag = addBags(entry.bag, bag);
    // The common case takes everything: no need to compute an empty difference.
    agent.available = bag === agent.available ? Bag.EMPTY : subtractBags(agent.available, bag);
    agent.version++;
    this.account(entry, bag, 1, updateSorters);
    return entry;
  }

  /** Takes `bag` (a part of the entry) back into the agent's available resources. */
  release(agent: AgentState, entry: AllocationEntry, bag: Bag): void {
    entry.bag = bag === entry.bag || bagContains(bag, entry.bag) ? Bag.EMPTY : subtractBags(entry.bag, bag);
    agent.available = addBags(agent.available, bag);
    agent.version++;
    this.account(entry, bag, -1, true);
    if (entry.bag.isEmpty) this.forgetEntry(agent, entry);
  }

  forgetEntry(agent: AgentState, entry: AllocationEntry): void {
    agent.allocations.delete(entry.frameworkId, entry.role);
    const fw = this.frameworks.get(entry.frameworkId);
    const client = fw?.clients.get(entry.role);
    if (client) {
      client.allocations.delete(agent);
      this.dropClientIfIdle(client);
    }
  }

  /** Updates shares and quota vectors for an allocation change (no-op for untracked entries). */
  account(entry: AllocationEntry, bag: Bag, sign: 1 | -1, updateSorters: boolean): void {
    if (!entry.tracked) return;
    const role = this.role(entry.role);
    if (updateSorters) this.updateSorters(entry, bag.scalars, sign);
    const unreserved = bag.unreservedScalars;
    addInto(role.unreservedAllocated, unreserved, sign);
    addInto(this.unreservedAllocated, unreserved, sign);
  }

  updateSorters(entry: AllocationEntry, q: Quantities, sign: 1 | -1): void {
    const role = this.role(entry.role);
    if (sign === 1) {
      this.roleSorter.allocated(entry.role, q);
      role.sorter.allocated(entry.frameworkId, q);
    } else {
      this.roleSorter.unallocated(entry.role, q);
      role.sorter.unallocated(entry.frameworkId, q);
    }
  }

  /** Adds (sign 1) or removes (−1) an agent's total from cluster totals and role reservations. */
  countTotal(agent: AgentState, sign: 1 | -1): void {
    this.totals[sign === 1 ? "add" : "remove"](scalarVector(agent.total));
    addScalarsInto(this.unreservedTotal, agent.total, sign, isUnreservedScalar);
    for (const e of agent.total.entries) {
      if (!e.kind.reserved || e.kind.type !== "SCALAR") continue;
      const role = this.role(e.kind.role);
      addInto(role.reserved, scalarVector(new Bag([e])), sign);
      if (sign === -1) this.dropRoleIfUnused(role);
    }
    agent.reserved = agent.total.entries.some((e) => e.kind.reserved);
    agent.gpu = agent.total.entries.some((e) => e.kind.nameId === this.gpusId && e.scalar > 0);
    agent.offerable = agent.total.entries.some((e) => (e.kind.nameId === this.cpusId || e.kind.nameId === this.memId) && e.scalar > 0);
    agent.version++;
  }

  /** Whether an offer meets one of the min-allocatable sets (an empty list accepts anything). */
  allocatable(bag: Bag, sets: Array<Array<[number, number]>>): boolean {
    if (bag.isEmpty) return false;
    if (sets.length === 0) return true;
    if (bag.memoSets === sets) return bag.memoOk;
    bag.memoSets = sets;
    bag.memoOk = this.meetsOneSet(bag, sets);
    return bag.memoOk;
  }

  private meetsOneSet(bag: Bag, sets: Array<Array<[number, number]>>): boolean {
    for (const set of sets) {
      let ok = true;
      for (const [id, min] of set) {
        let have = 0;
        for (const e of bag.entries) if (e.kind.nameId === id && e.kind.type === "SCALAR") have += e.scalar;
        if (have + 1e-9 < min) {
          ok = false;
          break;
        }
      }
      if (ok) return true;
    }
    return false;
  }

  /** Quota consumption of a role: its subtree's unreserved allocations and reservations. */
  consumedOf(quotaRole: string): number[] {
    const out: number[] = [];
    for (const role of this.roles.values()) {
      if (role.name !== quotaRole && !role.name.startsWith(`${quotaRole}/`)) continue;
      addInto(out, role.unreservedAllocated, 1);
      addInto(out, role.reserved, 1);
    }
    return out;
  }

  nameVector(record: Record<string, number> | undefined): Map<number, number> {
    return new Map(Object.entries(record ?? {}).map(([name, v]) => [this.registry.nameId(name), v]));
  }

  /** A name-id vector as a `{ name: value }` record (zeros left out). */
  named(q: Quantities): Record<string, number> {
    const out: Record<string, number> = {};
    q.forEach((v, id) => {
      if (v !== undefined && v !== 0) out[this.registry.names[id]!] = v;
    });
    return out;
  }
}
