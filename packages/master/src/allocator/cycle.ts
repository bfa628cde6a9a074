/**
 * One allocation cycle (mesos-core.md §6.1–6.4): agents in random order; on each agent, roles in
 * sorter order, then the role's frameworks in sorter order; each framework is offered everything on
 * the agent allocatable to the role (unreserved + reserved to the role or an ancestor), chopped by
 * quota, unless a refusal filter covers it, it is below the min-allocatable sets, or it is a GPU
 * agent and the framework lacks GPU_RESOURCES.
 *
 * With quota guarantees, stage 1 first serves only roles below their guarantee (and only where the
 * agent has something counting toward it); stage 2 then serves everyone, agents reshuffled.
 *
 * Sorter updates are applied after each agent, so the orders iterated for one agent stay fixed (as
 * in Mesos, which sorts once per agent), and a cycle costs one sorter move per allocation.
 */
import { Bag, addBags, allocatableTo, chopUnreserved } from "./bag.js";
import { toResources } from "./wire-form.js";
import type { Entry } from "./bag.js";
import type { AllocatorBook } from "./book.js";
import { QuotaCycle } from "./quota.js";
import { shuffle } from "./random.js";
import { isFiltered } from "./state.js";
import type { AgentState, AllocationEntry, ClientState } from "./state.js";
import type { Allocation } from "./types.js";

export interface CycleResult {
  /** How many allocations were emitted. */
  allocations: number;
  skippedAgents: number;
}

interface Made {
  client: ClientState;
  agent: AgentState;
  bag: Bag;
}

const isUnreservedScalar = (e: Entry): boolean => !e.kind.reserved && !e.kind.revocable;

/**
 * Runs one cycle, handing each allocation to `emit` in the order they are made: right after its
 * agent's visit when the cycle has one stage (a caller may send the first offers while the cycle
 * goes on; `emit` must not call back into the allocator), at the end when quota guarantees need a
 * second stage that may add to an allocation of the first.
 */
export function runCycle(book: AllocatorBook, now: number, agentIds: Iterable<string> | undefined, emit: (allocation: Allocation) => void): CycleResult {
  const candidates: AgentState[] = [];
  if (agentIds === undefined) {
    for (const a of book.agentList) if (a.active && a.offerable) candidates.push(a);
  } else {
    const seen = new Set<AgentState>();
    for (const id of agentIds) {
      const a = book.agents.get(id);
      if (!a || !a.active || !a.offerable || seen.has(a)) continue;
      seen.add(a);
      candidates.push(a);
    }
  }
  shuffle(candidates, book.random);

  const made: Made[] = [];
  const result: CycleResult = { allocations: 0, skippedAgents: 0 };
  const out = (m: Made): void => {
    result.allocations++;
    emit({ frameworkId: m.client.framework.id, agentId: m.agent.id, role: m.client.role, resources: toResources(m.bag, m.client.role, book.registry) });
  };
  const quota = book.quotas.size > 0 ? new QuotaCycle(book.quotas, (r) => book.consumedOf(r), [...subtractVec(book.unreservedTotal, book.unreservedAllocated)]) : undefined;

  // Only a two-stage cycle can give one client two parts of one agent: index them to merge.
  let index: Map<string, Made> | undefined;
  if (quota && quota.openCount > 0 && [...book.roles.values()].some((r) => r.activeClients > 0 && quota.hasUnsatisfiedGuarantee(r.name))) {
    index = new Map();
    const pass = new Pass(book, now, quota, 1, made, index, result, undefined);
    for (const agent of candidates) {
      if (quota.openCount === 0) break;
      pass.run(agent);
    }
    shuffle(candidates, book.random);
  }
  const pass = new Pass(book, now, quota, 2, made, index, result, index ? undefined : out);
  for (const agent of candidates) pass.run(agent);
  // Two stages: a client's allocations on an agent are final only now.
  if (index) for (const m of made) out(m);
  return result;
}

function subtractVec(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) out[i] = (a[i] ?? 0) - (b[i] ?? 0);
  return out;
}

/**
 * One stage's pass over agents. The visitors are fields bound once per pass, not closures made per
 * agent: a cycle visits 10,000 agents, and allocation-free loops keep the garbage collector quiet.
 */
class Pass {
  private agent!: AgentState;
  private roleName = "";
  private offer: Bag = Bag.EMPTY;
  private blockedUntil = Infinity;
  private readonly entries: AllocationEntry[] = [];
  private readonly bags: Bag[] = [];
  /** How many of `made` have been handed out (one-stage cycles hand them out agent by agent). */
  private emitted = 0;
  private readonly enter: ((path: string) => boolean) | undefined;

  constructor(
    private readonly book: AllocatorBook,
    private readonly now: number,
    private readonly quota: QuotaCycle | undefined,
    private readonly stage: 1 | 2,
    private readonly made: Made[],
    private readonly index: Map<string, Made> | undefined,
    private readonly result: CycleResult,
    /** Emits an agent's allocations right after its visit (one-stage cycles). */
    private readonly emitNow: ((m: Made) => void) | undefined,
  ) {
    this.enter = stage === 1 ? (path) => quota!.mayServeGuarantee(path) : undefined;
  }

  run(agent: AgentState): void {
    if (agent.available.isEmpty) return;
    this.agent = agent;
    this.blockedUntil = Infinity;
    this.entries.length = 0;
    this.bags.length = 0;
    // The agent is unchanged since a cycle found everyone blocked there (filters, min-allocatable,
    // GPU) and none of those blocks has expired: skip it, or, when the only news since is one client
    // (a framework added, revived or updated), show just that client its offer. Whatever it leaves
    // is a part of what every other client was refused, so they would be refused again.
    if (!this.quota && !this.book.fullVisits && agent.idleVersion === agent.version && this.now < agent.idleUntil) {
      const newcomer = this.book.newcomer(agent.idleEpoch);
      if (newcomer === undefined) {
        this.result.skippedAgents++;
        return;
      }
      if (newcomer !== null) {
        this.visitNewcomer(newcomer);
        this.emitVisited();
        return;
      }
    }
    this.book.roleSorter.forEachActive(this.visitRole, this.enter);
    this.emitVisited();
    // Sorters learn about this agent's allocations only now, so the orders stayed fixed meanwhile.
    for (let i = 0; i < this.entries.length; i++) this.book.updateSorters(this.entries[i]!, this.bags[i]!.scalars, 1);
    if (this.entries.length === 0 && this.stage === 2) {
      agent.idleVersion = agent.version;
      agent.idleEpoch = this.book.epoch;
      agent.idleUntil = this.blockedUntil;
    }
  }

  /** Hands out what the visit of the current agent made (one-stage cycles only). */
  private emitVisited(): void {
    if (this.emitNow === undefined) return;
    while (this.emitted < this.made.length) this.emitNow(this.made[this.emitted++]!);
  }

  /** The newcomer-only visit of an idle agent (see `run`); the agent stays idle if it is blocked too. */
  private visitNewcomer(client: ClientState): void {
    const agent = this.agent;
    if (client.offerable) {
      this.roleName = client.role;
      this.offer = offerFor(agent, client.role, undefined, 2);
      if (!this.offer.isEmpty) this.visitFramework(client.framework.id);
    }
    if (this.entries.length > 0) {
      this.book.updateSorters(this.entries[0]!, this.bags[0]!.scalars, 1);
      return;
    }
    agent.idleEpoch = this.book.epoch;
    if (this.blockedUntil < agent.idleUntil) agent.idleUntil = this.blockedUntil;
    this.result.skippedAgents++;
  }

  private readonly visitRole = (roleName: string): boolean => {
    if (this.stage === 1 && !this.quota!.hasUnsatisfiedGuarantee(roleName)) return true;
    const role = this.book.roles.get(roleName);
    if (!role || role.activeClients === 0) return true;
    this.roleName = roleName;
    this.offer = offerFor(this.agent, roleName, this.quota, this.stage);
    // Nothing left at all: the remaining roles need not be looked at (O(roles) per agent otherwise).
    if (this.offer.isEmpty) return !this.agent.available.isEmpty;
    role.sorter.forEachActive(this.visitFramework);
    return !this.agent.available.isEmpty;
  };

  private readonly visitFramework = (frameworkId: string): boolean => {
    const { book, agent, roleName, offer } = this;
    const fw = book.frameworks.get(frameworkId);
    const client = fw?.clients.get(roleName);
    if (!fw || !client) return true;
    if (agent.gpu && book.filterGpu && !fw.gpu) return true;
    const until = isFiltered(agent, client, offer, this.now);
    if (until !== undefined) {
      if (until < this.blockedUntil) this.blockedUntil = until;
      return true;
    }
    if (!book.allocatable(offer, fw.minAllocatable.get(roleName) ?? book.minAllocatable)) return true;
    this.entries.push(book.allocateOn(agent, client, offer, false));
    this.bags.push(offer);
    this.quota?.consume(roleName, offer.unreservedScalars);
    const key = this.index ? `${client.id}:${agent.index}` : "";
    const prev = this.index?.get(key);
    if (prev) prev.bag = addBags(prev.bag, offer);
    else {
      const m = { client, agent, bag: offer };
      this.made.push(m);
      this.index?.set(key, m);
    }
    this.offer = offerFor(agent, roleName, this.quota, this.stage);
    return !this.offer.isEmpty;
  };
}

/** Everything on the agent the role may use now, chopped by quota limits and headroom. */
function offerFor(agent: AgentState, role: string, quota: QuotaCycle | undefined, stage: 1 | 2): Bag {
  let offer = agent.reserved ? allocatableTo(agent.available, role) : agent.available;
  if (!quota || offer.isEmpty) return offer;
  offer = chopUnreserved(offer, quota.capsFor(role));
  if (stage === 1) {
    // Stage 1 only serves guarantees: skip unless the offer holds something counting toward one.
    const unsatisfied = quota.ownUnsatisfied(role);
    const counts = offer.entries.some((e) => isUnreservedScalar(e) && e.kind.type === "SCALAR" && (unsatisfied.get(e.kind.nameId) ?? 0) > 0);
    if (!counts) return Bag.EMPTY;
  }
  return offer;
}
