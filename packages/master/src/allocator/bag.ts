/**
 * The allocator's internal resource form. Wire `Resource[]` lists are converted once, at the edge,
 * into a `Bag`: a short array of entries sorted by an integer kind id. A kind is everything that
 * identifies a resource apart from its value (name, type, role, reservation, disk, revocable,
 * shared — the same identity as `resourceKey` in @caravel/api). Comparing integer ids instead of
 * key strings keeps the hot checks of an allocation cycle (subset tests against refusal filters,
 * "allocatable to role") cheap: an agent holds a handful of entries, so merges are linear.
 *
 * Bags are immutable values: every operation returns a new bag (or the same one when nothing changes).
 */
import { fixed, normalizeResource, resourceKey } from "@caravel/api";
import { rangesMinus, rangesSubset, rangesUnion } from "./ranges.js";
import type { Range, Resource } from "@caravel/api";

/** A resource identity, interned by a `KindRegistry`. */
export interface Kind {
  readonly id: number;
  readonly key: string;
  readonly name: string;
  /** Index of `name` in the registry's scalar-name table (used by quantity vectors). */
  readonly nameId: number;
  readonly type: "SCALAR" | "RANGES" | "SET";
  /** "*" when unreserved. */
  readonly role: string;
  readonly reserved: boolean;
  readonly revocable: boolean;
  /** No reservation, disk, revocable, shared or provider: rebuilt from a literal, not a copy. */
  readonly plain: boolean;
  /** The normalized resource without its value, used to rebuild wire resources. */
  readonly template: Resource;
}

export interface Entry {
  readonly kind: Kind;
  readonly scalar: number;
  readonly ranges: readonly Range[] | null;
  readonly items: readonly string[] | null;
}

/** Interns resource kinds and names for one allocator (ids are only meaningful within it). */
export class KindRegistry {
  readonly kinds: Kind[] = [];
  readonly names: string[] = [];
  private readonly byKey = new Map<string, Kind>();
  /** Kinds of plain resources (no reservation, disk, revocable, shared or provider), by name, then role. */
  private readonly plain = new Map<string, Map<string, Kind>>();
  private readonly nameIds = new Map<string, number>();

  nameId(name: string): number {
    let id = this.nameIds.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.nameIds.set(name, id);
    }
    return id;
  }

  /**
   * The kind of a wire resource, without normalizing it when it is plain: converting offers back
   * (every decline) is the allocator's hottest edge, and Mesos' full key costs a JSON encoding.
   */
  quickKind(r: Resource): Kind | undefined {
    if (r.reservation || r.disk || r.revocable || r.shared || r.provider_id || (r.reservations !== undefined && r.reservations.length > 0)) return undefined;
    const role = r.role ?? "*";
    let byRole = this.plain.get(r.name);
    if (!byRole) this.plain.set(r.name, (byRole = new Map()));
    let kind = byRole.get(role);
    if (!kind) {
      kind = this.kindOf(normalizeResource({ ...r, reservations: [] }));
      byRole.set(role, kind);
    }
    // A name used with two value types is not plain: let the full key tell them apart.
    return kind.type === r.type ? kind : undefined;
  }

  /** The kind of a normalized resource, interning it on first sight. */
  kindOf(r: Resource): Kind {
    const key = resourceKey(r);
    let kind = this.byKey.get(key);
    if (!kind) {
      const { scalar: _s, ranges: _r, set: _set, ...template } = r;
      const role = r.role ?? "*";
      kind = {
        id: this.kinds.length,
        key,
        name: r.name,
        nameId: this.nameId(r.name),
        type: r.type === "RANGES" || r.type === "SET" ? r.type : "SCALAR",
        role,
        reserved: role !== "*",
        revocable: r.revocable !== undefined,
        plain: !r.reservation && !r.disk && !r.revocable && !r.shared && !r.provider_id,
        template,
      };
      this.kinds.push(kind);
      this.byKey.set(key, kind);
    }
    return kind;
  }
}

export class Bag {
  static readonly EMPTY = new Bag([]);
  /** Memo of the last min-allocatable check (a cache on an immutable value). */
  memoSets: unknown = undefined;
  memoOk = false;
  private scalarsMemo: number[] | undefined = undefined;
  private unreservedMemo: number[] | undefined = undefined;

  /** Scalar vector by name id (memoized: treat as read-only). */
  get scalars(): readonly number[] {
    return (this.scalarsMemo ??= addScalarsInto([], this));
  }

  /** Unreserved, non-revocable scalar vector by name id (memoized: treat as read-only). */
  get unreservedScalars(): readonly number[] {
    return (this.unreservedMemo ??= addScalarsInto([], this, 1, (e) => !e.kind.reserved && !e.kind.revocable));
  }

  /** Memo of the last wire form (`toResources`) and the role it was tagged with. */
  memoResources: Resource[] | undefined = undefined;
  memoRole: string | undefined = undefined;
  /** The wire form without `allocation_info` (frozen, shared by every offer of this bag). */
  memoPlain: readonly Resource[] | undefined = undefined;
  /** Forms the master derives from an offer of this bag (serialised JSON per framework flavour). */
  memoDerived: Map<string, string> | undefined = undefined;
  /** Sorted by `kind.id`, no empty entries, at most one entry per kind. */
  constructor(readonly entries: readonly Entry[]) {}

  get isEmpty(): boolean {
    return this.entries.length === 0;
  }
}

/** Whether an entry holds nothing (zero scalar, no ranges, no items). */
export function entryEmpty(e: Entry): boolean {
  if (e.kind.type === "SCALAR") return e.scalar <= 0;
  if (e.kind.type === "RANGES") return (e.ranges?.length ?? 0) === 0;
  return (e.items?.length ?? 0) === 0;
}

/** Two entries of one kind added (sign 1) or subtracted (−1). */
export function combine(a: Entry, b: Entry, sign: 1 | -1): Entry {
  switch (a.kind.type) {
    case "SCALAR":
      return { kind: a.kind, scalar: fixed(a.scalar + sign * b.scalar), ranges: null, items: null };
    case "RANGES": {
      const ranges = sign === 1 ? rangesUnion(a.ranges ?? [], b.ranges ?? []) : rangesMinus(a.ranges ?? [], b.ranges ?? []);
      return { kind: a.kind, scalar: 0, ranges, items: null };
    }
    default: {
      const set = new Set(a.items ?? []);
      for (const i of b.items ?? []) {
        if (sign === 1) set.add(i);
        else set.delete(i);
      }
      return { kind: a.kind, scalar: 0, ranges: null, items: [...set].sort() };
    }
  }
}

/** a + b. */
export function addBags(a: Bag, b: Bag): Bag {
  if (b.isEmpty) return a;
  if (a.isEmpty) return b;
  return merge(a, b, 1);
}

/** a − b; parts of b that a lacks are ignored. */
export function subtractBags(a: Bag, b: Bag): Bag {
  if (b.isEmpty || a.isEmpty) return a;
  return merge(a, b, -1);
}

function merge(a: Bag, b: Bag, sign: 1 | -1): Bag {
  const out: Entry[] = [];
  const x = a.entries;
  const y = b.entries;
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    const ex = x[i];
    const ey = y[j];
    if (ey === undefined || (ex !== undefined && ex.kind.id < ey.kind.id)) {
      out.push(ex!);
      i++;
    } else if (ex === undefined || ey.kind.id < ex.kind.id) {
      if (sign === 1) out.push(ey);
      j++;
    } else {
      const c = combine(ex, ey, sign);
      if (!entryEmpty(c)) out.push(c);
      i++;
      j++;
    }
  }
  return new Bag(out);
}

/** The common part of a and b. */
export const intersectBags = (a: Bag, b: Bag): Bag => (bagContains(a, b) ? b : subtractBags(a, subtractBags(a, b)));

/** Whether two bags hold the same resources. */
export const bagEquals = (a: Bag, b: Bag): boolean => a === b || (a.entries.length === b.entries.length && bagContains(a, b) && bagContains(b, a));

/** Whether `outer` holds all of `inner` (the refusal-filter test). */
export function bagContains(outer: Bag, inner: Bag): boolean {
  if (outer === inner) return true;
  const x = outer.entries;
  let i = 0;
  for (const e of inner.entries) {
    while (i < x.length && x[i]!.kind.id < e.kind.id) i++;
    const o = x[i];
    if (o === undefined || o.kind.id !== e.kind.id) return false;
    switch (e.kind.type) {
      case "SCALAR":
        if (e.scalar > o.scalar) return false;
        break;
      case "RANGES":
        if (!rangesSubset(e.ranges ?? [], o.ranges ?? [])) return false;
        break;
      default: {
        const items = new Set(o.items ?? []);
        if (!(e.items ?? []).every((item) => items.has(item))) return false;
      }
    }
  }
  return true;
}

/** The part of a bag that entries matching `keep` make up. */
export function filterBag(bag: Bag, keep: (e: Entry) => boolean): Bag {
  let all = true;
  for (const e of bag.entries) if (!keep(e)) all = false;
  return all ? bag : new Bag(bag.entries.filter(keep));
}

/** Whether `role` may use resources of `kind`: unreserved, or reserved to the role or an ancestor. */
export function kindAllocatableTo(kind: Kind, role: string): boolean {
  return !kind.reserved || kind.role === role || (role.length > kind.role.length && role.startsWith(kind.role) && role[kind.role.length] === "/");
}

/** Whether `role` is `ancestor` or one of its descendants. */
export function isSubroleOf(role: string, ancestor: string): boolean {
  return role === ancestor || (role.length > ancestor.length && role.startsWith(ancestor) && role[ancestor.length] === "/");
}

export const allocatableTo = (bag: Bag, role: string): Bag => filterBag(bag, (e) => kindAllocatableTo(e.kind, role));

export const hasReservations = (bag: Bag): boolean => bag.entries.some((e) => e.kind.reserved);

/** Adds the bag's scalar values into `out`, indexed by name id (`sign` −1 subtracts). */
export function addScalarsInto(out: number[], bag: Bag, sign = 1, only?: (e: Entry) => boolean): number[] {
  for (const e of bag.entries) while (out.length <= e.kind.nameId) out.push(0);
  for (const e of bag.entries) {
    if (e.kind.type !== "SCALAR" || (only && !only(e))) continue;
    const id = e.kind.nameId;
    out[id] = fixed((out[id] ?? 0) + sign * e.scalar);
  }
  return out;
}

export const scalarVector = (bag: Bag, only?: (e: Entry) => boolean): number[] => addScalarsInto([], bag, 1, only);

/** Scalar sum of one resource name (by name id). */
export function scalarOf(bag: Bag, nameId: number): number {
  let sum = 0;
  for (const e of bag.entries) if (e.kind.nameId === nameId && e.kind.type === "SCALAR") sum += e.scalar;
  return fixed(sum);
}

/**
 * Chops unreserved, non-revocable scalars to at most `caps[nameId]` per name (names without a cap
 * are untouched). Used for quota limits and headroom.
 */
export function chopUnreserved(bag: Bag, caps: ReadonlyMap<number, number>): Bag {
  if (caps.size === 0) return bag;
  const left = new Map(caps);
  const out: Entry[] = [];
  let changed = false;
  for (const e of bag.entries) {
    const cap = e.kind.type === "SCALAR" && !e.kind.reserved && !e.kind.revocable ? left.get(e.kind.nameId) : undefined;
    if (cap === undefined) {
      out.push(e);
      continue;
    }
    const take = fixed(Math.max(0, Math.min(cap, e.scalar)));
    left.set(e.kind.nameId, fixed(cap - take));
    if (take !== e.scalar) changed = true;
    if (take > 0) out.push({ ...e, scalar: take });
  }
  return changed ? new Bag(out) : bag;
}
