/**
 * The Sorter interface: orders the clients of one level of the allocator (roles, or the frameworks
 * of one role), as Mesos' `Sorter` does. Clients are paths; in a hierarchical sorter "a/b" is a child
 * of "a" and its allocation counts toward "a" as well.
 *
 * Quantities are scalar vectors indexed by a resource-name id (see `KindRegistry.nameId`); a missing
 * index means 0. All sorters of one allocator share one `ClusterTotals` (the denominator of every
 * share, as in Mesos where each sorter holds the whole cluster's totals), so adding an agent costs
 * one update, not one per role.
 */
export type Quantities = readonly (number | undefined)[];

/** Whole-cluster scalar totals, shared by the sorters of one allocator. */
export class ClusterTotals {
  readonly values: number[] = [];
  /** Bumped on every change so that sorters know their cached shares are stale. */
  version = 0;

  add(q: Quantities): void {
    addInto(this.values, q, 1);
    this.version++;
  }

  remove(q: Quantities): void {
    addInto(this.values, q, -1);
    this.version++;
  }
}

/** target += sign × q (three decimals, as Mesos stores scalars). */
export function addInto(target: number[], q: Quantities, sign: 1 | -1): void {
  // Grow with zeros first: a packed array of doubles stays fast; assigning past the end makes it holey.
  while (target.length < q.length) target.push(0);
  for (let i = 0; i < q.length; i++) {
    const v = q[i];
    if (v === undefined || v === 0) continue;
    target[i] = Math.round(((target[i] ?? 0) + sign * v) * 1000) / 1000;
  }
}

export interface SorterOptions {
  /** Shared denominators; a private instance when omitted. */
  totals?: ClusterTotals;
  /** Name ids excluded from shares (`--fair_sharing_excluded_resource_names`). */
  excludedNameIds?: ReadonlySet<number>;
  /** Whether "a/b" nests under "a" (roles); framework sorters are flat. */
  hierarchical?: boolean;
  /** Random source in [0, 1) (the random sorter only). */
  random?: () => number;
}

export interface Sorter {
  readonly totals: ClusterTotals;
  /** Adds a client (inactive until `activate`). Adding a known client is a no-op. */
  add(client: string): void;
  /** Removes a client and its allocation. */
  remove(client: string): void;
  contains(client: string): boolean;
  activate(client: string): void;
  deactivate(client: string): void;
  isActive(client: string): boolean;
  /** Sets the weight of a path (it need not be a client yet; default 1). */
  updateWeight(path: string, weight: number): void;
  /** Records resources allocated to a client (and to its ancestors). */
  allocated(client: string, q: Quantities): void;
  /** Records resources a client gave back. */
  unallocated(client: string, q: Quantities): void;
  /** A client's allocation (a path of a hierarchical sorter: its whole subtree). */
  allocation(path: string): Quantities;
  /** Weighted dominant share of a path (for metrics and GET_ROLES). */
  share(path: string): number;
  /** Number of clients (active or not). */
  count(): number;
  /**
   * Active clients in allocation order. The array is owned by the sorter and valid until its next
   * mutation: copy it to keep it.
   */
  sort(): readonly string[];
  /**
   * Visits active clients in allocation order until `visit` returns false. The allocator uses it
   * because it usually stops at the first client; the sorter must not change during the visit.
   * `enter`, when given, may skip whole subtrees (it is asked about inner paths only; an
   * implementation may ignore it, so `visit` must still check what it is given).
   */
  forEachActive(visit: (client: string) => boolean, enter?: (path: string) => boolean): void;
}

/** Weighted dominant share: max over scalar names of allocated / total, divided by the weight. */
export function dominantShare(alloc: Quantities, totals: readonly number[], weight: number, excluded?: ReadonlySet<number>): number {
  let share = 0;
  const n = Math.min(alloc.length, totals.length);
  for (let i = 0; i < n; i++) {
    const a = alloc[i];
    const t = totals[i];
    if (a === undefined || a <= 0 || t === undefined || t <= 0 || (excluded !== undefined && excluded.has(i))) continue;
    const s = a / t;
    if (s > share) share = s;
  }
  return share / (weight > 0 ? weight : 1);
}
