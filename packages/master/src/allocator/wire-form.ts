/**
 * The edge between wire resources and bags: `toBag` when resources come in (agents, tasks,
 * declines), `toResources` when offers go out. Both are on the hottest path of a decline-heavy
 * cluster, hence the memoized wire form and the recognition of an offer's own array.
 */
import { fixed, mergeRanges, normalizeResource } from "@caravel/api";
import type { Range, Resource } from "@caravel/api";
import { Bag, combine, entryEmpty } from "./bag.js";
import type { Entry, KindRegistry } from "./bag.js";

const OFFERED = Symbol("caravel.allocator.offered");
type Tagged = readonly Resource[] & { [OFFERED]?: { registry: KindRegistry; bag: Bag } };

/** Ranges as a bag keeps them: copied as is when already sorted and disjoint (offers come back so). */
function normalizedRanges(ranges: readonly Range[]): Range[] {
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i]!;
    if (r.end < r.begin || (i > 0 && r.begin <= ranges[i - 1]!.end + 1)) return mergeRanges(ranges);
  }
  // Range objects are never mutated inside bags, so sorted input ranges are shared, not copied.
  return ranges.slice();
}

/** Converts wire resources (any form: refinements, allocation_info) into a bag. */
export function toBag(registry: KindRegistry, resources: readonly Resource[]): Bag {
  // Declines usually hand back the very array of the offer: recognising it (and checking that its
  // elements are still the offer's) skips parsing the resources again.
  const known = (resources as Tagged)[OFFERED];
  if (known !== undefined && known.registry === registry && sameWireForm(known.bag, resources)) return known.bag;
  const entries: Entry[] = [];
  for (const raw of resources) {
    let kind = registry.quickKind(raw);
    let r = raw;
    if (!kind) {
      r = normalizeResource({ ...raw, reservations: raw.reservations ?? [] });
      kind = registry.kindOf(r);
    }
    const entry: Entry = {
      kind,
      scalar: kind.type === "SCALAR" ? fixed(r.scalar?.value ?? 0) : 0,
      ranges: kind.type === "RANGES" ? normalizedRanges(r.ranges?.range ?? []) : null,
      items: kind.type === "SET" ? [...new Set(r.set?.item ?? [])].sort() : null,
    };
    if (!entryEmpty(entry)) entries.push(entry);
  }
  entries.sort((a, b) => a.kind.id - b.kind.id);
  // Merge repeated kinds (a list may name the same resource twice).
  const out: Entry[] = [];
  for (const e of entries) {
    const last = out[out.length - 1];
    if (last && last.kind === e.kind) out[out.length - 1] = combine(last, e, 1);
    else out.push(e);
  }
  return new Bag(out);
}

/**
 * Wire resources for an offer, each tagged with `allocation_info.role` when a role is given. The
 * objects are shared with earlier offers of the same bag: callers must treat them as immutable.
 */
export function toResources(bag: Bag, allocationRole?: string, registry?: KindRegistry): Resource[] {
  if (bag.memoResources === undefined || bag.memoRole !== allocationRole) {
    bag.memoResources = wireForm(bag, allocationRole);
    bag.memoRole = allocationRole;
  }
  const out = bag.memoResources.slice();
  // A symbol property, not a WeakMap: no ephemeron work for the GC on 10,000 offers a cycle, and
  // JSON, copies and schema parsing all drop it.
  if (registry) (out as Tagged)[OFFERED] = { registry, bag };
  return out;
}

/**
 * An offer's resources without `allocation_info` (what the master keeps in its offer records): one
 * frozen array per bag, shared by every offer of the same resources and recognised by `toBag` when
 * it comes back in a decline. Arrays that are not an offer's own are stripped into a fresh copy.
 */
export function withoutAllocationInfo(resources: readonly Resource[]): readonly Resource[] {
  const known = (resources as Tagged)[OFFERED];
  if (known === undefined || !sameWireForm(known.bag, resources)) return resources.map(stripAllocationInfo);
  const bag = known.bag;
  if (bag.memoPlain === undefined) {
    const plain: Tagged = resources.map(stripAllocationInfo);
    (plain as { [OFFERED]?: unknown })[OFFERED] = known;
    bag.memoPlain = Object.freeze(plain);
  }
  return bag.memoPlain;
}

/**
 * A cache for text derived from an offer's resources (the master keeps their serialised JSON per
 * framework flavour there), living as long as the bag behind the offer: an idle agent whose offer
 * is declined or torn down is offered the very same bag again. Undefined for other arrays.
 */
export function offerMemo(resources: readonly Resource[]): Map<string, string> | undefined {
  const known = (resources as Tagged)[OFFERED];
  if (known === undefined || !sameWireForm(known.bag, resources)) return undefined;
  return (known.bag.memoDerived ??= new Map());
}

function stripAllocationInfo(r: Resource): Resource {
  if (r.allocation_info === undefined) return r;
  const { allocation_info: _a, ...rest } = r;
  return rest;
}

/** Whether `resources` is the bag's frozen plain form, or still holds exactly the objects of its wire form. */
function sameWireForm(bag: Bag, resources: readonly Resource[]): boolean {
  if (resources === bag.memoPlain) return true;
  const memo = bag.memoResources;
  if (memo === undefined || memo.length !== resources.length) return false;
  for (let i = 0; i < memo.length; i++) if (memo[i] !== resources[i]) return false;
  return true;
}

function wireForm(bag: Bag, allocationRole: string | undefined): Resource[] {
  const out: Resource[] = new Array(bag.entries.length);
  const info = allocationRole === undefined ? undefined : { role: allocationRole };
  for (let i = 0; i < bag.entries.length; i++) {
    const e = bag.entries[i]!;
    const k = e.kind;
    // Plain kinds (nearly all offers) are built as one literal shape, which V8 creates fastest.
    const r: Resource = k.plain ? { name: k.name, type: k.type, role: k.role, reservations: [] } : { ...k.template };
    if (k.type === "SCALAR") r.scalar = { value: e.scalar };
    // Range objects are never mutated once in a bag, so offers share them (callers must not mutate).
    else if (k.type === "RANGES") r.ranges = { range: e.ranges!.slice() };
    else r.set = { item: [...e.items!] };
    if (info) r.allocation_info = info;
    out[i] = r;
  }
  return out;
}
