/**
 * The allocator's mutable bookkeeping: agents, frameworks, (framework, role) clients, roles and
 * refusal filters. Plain data with tiny helpers; the rules live in hierarchical.ts and cycle.ts.
 */
import type { Attribute } from "@caravel/api";
import { Bag, bagContains } from "./bag.js";
import type { Sorter } from "./sorter.js";

/** What one framework holds for one role on one agent (offered or in use). */
export interface AllocationEntry {
  readonly frameworkId: string;
  readonly role: string;
  bag: Bag;
  /** Whether the sorters count it (false while its framework is unknown, e.g. after failover). */
  tracked: boolean;
  /** The same framework's entry for another role on this agent (AllocationTable's chain). */
  next?: AllocationEntry | undefined;
}

/** A refusal filter: do not offer a subset of `bag` before `expires` (ms). */
export interface RefusalFilter {
  readonly bag: Bag;
  readonly expires: number;
}

export class AgentState {
  hostname: string;
  attributes: Attribute[];
  capabilities: string[];
  total: Bag = Bag.EMPTY;
  available: Bag = Bag.EMPTY;
  readonly allocations = new AllocationTable();
  /** Refusal filters by (framework, role) client. */
  readonly filters = new Map<ClientState, RefusalFilter[]>();
  active = true;
  gpu = false;
  /** Agents with neither cpus nor mem are never offered. */
  offerable = false;
  /** Whether the total holds reservations (else "allocatable to role" is just `available`). */
  reserved = false;
  /** Bumped whenever `available` or `total` changes. */
  version = 0;
  /**
   * Skip cache: the last cycle found nothing to offer here at (version, epoch), and nothing can
   * change before `idleUntil` (the earliest expiry of a filter that blocked an offer).
   */
  idleVersion = -1;
  idleEpoch = -1;
  idleUntil = 0;

  constructor(
    readonly id: string,
    public index: number,
    info: { hostname: string; attributes?: Attribute[]; capabilities?: string[] },
  ) {
    this.hostname = info.hostname;
    this.attributes = info.attributes ?? [];
    this.capabilities = info.capabilities ?? [];
  }
}

/**
 * An agent's allocations by framework, then role: one map keyed by framework id, chaining the rare
 * second role through `next`. Offers and declines add and drop entries all the time, so this
 * avoids allocating a map per framework (and hashing a concatenated key per lookup).
 */
export class AllocationTable {
  private readonly byFramework = new Map<string, AllocationEntry>();

  get(frameworkId: string, role: string): AllocationEntry | undefined {
    for (let e = this.byFramework.get(frameworkId); e; e = e.next) if (e.role === role) return e;
    return undefined;
  }

  set(entry: AllocationEntry): void {
    const head = this.byFramework.get(entry.frameworkId);
    if (head === entry) return;
    for (let e = head; e; e = e.next) if (e.next === entry) return;
    entry.next = head;
    this.byFramework.set(entry.frameworkId, entry);
  }

  delete(frameworkId: string, role: string): void {
    const head = this.byFramework.get(frameworkId);
    if (!head) return;
    if (head.role === role) {
      if (head.next) this.byFramework.set(frameworkId, head.next);
      else this.byFramework.delete(frameworkId);
      head.next = undefined;
      return;
    }
    for (let e = head; e.next; e = e.next) {
      if (e.next.role === role) {
        const gone = e.next;
        e.next = gone.next;
        gone.next = undefined;
        return;
      }
    }
  }

  *values(): IterableIterator<AllocationEntry> {
    for (const head of this.byFramework.values()) for (let e: AllocationEntry | undefined = head; e; e = e.next) yield e;
  }
}

/** A framework in one of its roles: the unit the framework sorters, filters and suppression act on. */
export class ClientState {
  readonly allocations = new Map<AgentState, AllocationEntry>();
  readonly filteredAgents = new Set<AgentState>();
  subscribed = false;
  suppressed = false;

  constructor(
    readonly id: number,
    readonly framework: FrameworkState,
    readonly role: string,
  ) {}

  get offerable(): boolean {
    return this.subscribed && !this.suppressed && this.framework.active;
  }
}

export class FrameworkState {
  readonly clients = new Map<string, ClientState>();
  capabilities = new Set<string>();
  gpu = false;
  active = true;
  /** Per-role min-allocatable sets as [nameId, quantity] lists; absent = allocator default. */
  minAllocatable = new Map<string, Array<Array<[number, number]>>>();

  constructor(readonly id: string) {}
}

export class RoleState {
  readonly clients = new Set<ClientState>();
  /** Clients currently offerable; the role is active in the role sorter while > 0. */
  activeClients = 0;
  /** Scalars reserved to exactly this role on known agents (name-id vector). */
  readonly reserved: number[] = [];
  /** Unreserved scalars allocated to exactly this role. */
  readonly unreservedAllocated: number[] = [];

  constructor(
    readonly name: string,
    readonly sorter: Sorter,
  ) {}
}

/**
 * Whether an offer of `offer` to a client on an agent is refused by one of its filters: returns the
 * expiry (ms) of the matching filter, or undefined. Expired filters are dropped on the way.
 */
export function isFiltered(agent: AgentState, client: ClientState, offer: Bag, now: number): number | undefined {
  const list = agent.filters.get(client);
  if (list === undefined) return undefined;
  let blockedUntil: number | undefined;
  let expired = false;
  for (const f of list) {
    if (f.expires <= now) expired = true;
    else if (blockedUntil === undefined && bagContains(f.bag, offer)) blockedUntil = f.expires;
  }
  if (expired) {
    const alive = list.filter((f) => f.expires > now);
    if (alive.length === 0) {
      agent.filters.delete(client);
      client.filteredAgents.delete(agent);
    } else agent.filters.set(client, alive);
  }
  return blockedUntil;
}
