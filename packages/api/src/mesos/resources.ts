/**
 * Resource arithmetic on Mesos wire resources (the `Resources` class of Mesos, as pure functions).
 *
 * Canonical form: every resource carries `role` ("*" when unreserved) and, for dynamic reservations,
 * `reservation`; the refinement list `reservations` is folded into those. Scalars are kept to three
 * decimals, as Mesos stores them. Two resources with the same key (name, type, role, reservation,
 * disk, revocable, shared) are the same kind and merge.
 */
import type { Attribute, Range, Resource } from "./common.js";

export type ResourceList = readonly Resource[];

export const fixed = (value: number): number => Math.round(value * 1000) / 1000;

/**
 * Folds the refinement form into `role` + `reservation` and drops wire-only fields. A plain scalar
 * (`{name, type: SCALAR, scalar, reservations: []}`, what nearly every task asks for) takes one object
 * literal instead of the rest-and-spread copy, about twenty times cheaper: after a master failover
 * every task of the cluster comes back through here.
 */
export function normalizeResource(resource: Resource): Resource {
  return isPlainScalar(resource) ? normalizePlainScalar(resource) : normalizeAnyResource(resource);
}

const PLAIN_KEYS = new Set(["name", "type", "scalar", "role", "reservations"]);

function isPlainScalar(r: Resource): boolean {
  if (r.type !== "SCALAR" || r.scalar === undefined || r.reservations.length !== 0) return false;
  if (r.role !== undefined && r.role !== "*") return false;
  for (const key in r) if (!PLAIN_KEYS.has(key)) return false;
  return true;
}

/** Keys in the order the general path gives them (for input in the wire schema's key order). */
function normalizePlainScalar(r: Resource): Resource {
  const scalar = { value: fixed(r.scalar!.value) };
  return "role" in r
    ? { name: r.name, type: "SCALAR", scalar, role: "*", reservations: [] }
    : { name: r.name, type: "SCALAR", scalar, reservations: [], role: "*" };
}

/** The general case of normalizeResource (exported for the test that the plain-scalar path equals it). */
export function normalizeAnyResource(resource: Resource): Resource {
  const { reservations, allocation_info: _allocationInfo, ...rest } = resource;
  const out: Resource = { ...rest, reservations: [] };
  const top = reservations.at(-1);
  if (top) {
    out.role = top.role ?? "*";
    if (top.type !== "STATIC") out.reservation = { principal: top.principal, labels: top.labels };
  }
  out.role = out.role ?? "*";
  if (out.scalar) out.scalar = { value: fixed(out.scalar.value) };
  if (out.ranges) out.ranges = { range: mergeRanges(out.ranges.range) };
  return out;
}

/** Identity of a resource apart from its value. */
export function resourceKey(r: Resource): string {
  const reservation = r.reservation ? JSON.stringify([r.reservation.principal ?? "", r.reservation.labels ?? null]) : "";
  const disk = r.disk ? JSON.stringify([r.disk.persistence?.id ?? "", r.disk.volume?.container_path ?? "", r.disk.source?.type ?? ""]) : "";
  return `${r.name}|${r.type}|${r.role ?? "*"}|${reservation}|${disk}|${r.revocable ? "r" : ""}|${r.shared ? "s" : ""}`;
}

export const isReserved = (r: Resource): boolean => (r.role ?? "*") !== "*";
export const isDynamicallyReserved = (r: Resource): boolean => isReserved(r) && r.reservation !== undefined;
export const isPersistentVolume = (r: Resource): boolean => r.disk?.persistence !== undefined;

/** Whether `role` may use a resource: unreserved, reserved for the role, or for one of its ancestors. */
export function isAllocatableTo(r: Resource, role: string): boolean {
  const owner = r.role ?? "*";
  return owner === "*" || owner === role || role.startsWith(owner + "/");
}

// ---- ranges -------------------------------------------------------------------------------

export function mergeRanges(ranges: readonly Range[]): Range[] {
  const sorted = ranges.filter((r) => r.end >= r.begin).map((r) => ({ begin: r.begin, end: r.end }));
  sorted.sort((a, b) => a.begin - b.begin);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last && r.begin <= last.end + 1) last.end = Math.max(last.end, r.end);
    else out.push(r);
  }
  return out;
}

export function subtractRanges(from: readonly Range[], take: readonly Range[]): Range[] {
  let out = mergeRanges(from);
  for (const t of mergeRanges(take)) {
    const next: Range[] = [];
    for (const r of out) {
      if (t.end < r.begin || t.begin > r.end) next.push(r);
      else {
        if (t.begin > r.begin) next.push({ begin: r.begin, end: t.begin - 1 });
        if (t.end < r.end) next.push({ begin: t.end + 1, end: r.end });
      }
    }
    out = next;
  }
  return out;
}

export function rangesContain(outer: readonly Range[], inner: readonly Range[]): boolean {
  const merged = mergeRanges(outer);
  return mergeRanges(inner).every((i) => merged.some((o) => o.begin <= i.begin && i.end <= o.end));
}

export const rangesSize = (ranges: readonly Range[]): number => ranges.reduce((n, r) => n + (r.end - r.begin + 1), 0);

// ---- lists --------------------------------------------------------------------------------

function combine(a: Resource, b: Resource, sign: 1 | -1): Resource | undefined {
  switch (a.type) {
    case "SCALAR": {
      const value = fixed((a.scalar?.value ?? 0) + sign * (b.scalar?.value ?? 0));
      return value > 0 ? { ...a, scalar: { value } } : undefined;
    }
    case "RANGES": {
      const range = sign === 1 ? mergeRanges([...(a.ranges?.range ?? []), ...(b.ranges?.range ?? [])]) : subtractRanges(a.ranges?.range ?? [], b.ranges?.range ?? []);
      return range.length > 0 ? { ...a, ranges: { range } } : undefined;
    }
    case "SET": {
      const items = new Set(a.set?.item ?? []);
      for (const item of b.set?.item ?? []) {
        if (sign === 1) items.add(item);
        else items.delete(item);
      }
      return items.size > 0 ? { ...a, set: { item: [...items].sort() } } : undefined;
    }
    default:
      return undefined;
  }
}

function isEmpty(r: Resource): boolean {
  switch (r.type) {
    case "SCALAR":
      return (r.scalar?.value ?? 0) <= 0;
    case "RANGES":
      return (r.ranges?.range.length ?? 0) === 0;
    case "SET":
      return (r.set?.item.length ?? 0) === 0;
    default:
      return true;
  }
}

/** a + b, merging resources of the same key. */
export function addResources(a: ResourceList, b: ResourceList): Resource[] {
  const byKey = new Map<string, Resource>();
  for (const r of [...a, ...b]) {
    const key = resourceKey(r);
    const existing = byKey.get(key);
    // Persistent volumes are unique objects: never merge two of them.
    const merged = existing ? combine(existing, r, 1) : isEmpty(r) ? undefined : r;
    if (merged) byKey.set(key, merged);
  }
  return [...byKey.values()];
}

/** a − b; parts of b not in a are ignored (check with `containsResources` first). */
export function subtractResources(a: ResourceList, b: ResourceList): Resource[] {
  const byKey = new Map<string, Resource>();
  for (const r of a) byKey.set(resourceKey(r), r);
  for (const r of b) {
    const key = resourceKey(r);
    const existing = byKey.get(key);
    if (!existing) continue;
    const rest = combine(existing, r, -1);
    if (rest) byKey.set(key, rest);
    else byKey.delete(key);
  }
  return [...byKey.values()];
}

/** Whether `outer` holds every resource of `inner`. */
export function containsResources(outer: ResourceList, inner: ResourceList): boolean {
  const byKey = new Map<string, Resource>();
  for (const r of addResources([], outer)) byKey.set(resourceKey(r), r);
  for (const r of addResources([], inner)) {
    const o = byKey.get(resourceKey(r));
    if (!o) return false;
    switch (r.type) {
      case "SCALAR":
        if (fixed(r.scalar?.value ?? 0) > fixed(o.scalar?.value ?? 0)) return false;
        break;
      case "RANGES":
        if (!rangesContain(o.ranges?.range ?? [], r.ranges?.range ?? [])) return false;
        break;
      case "SET": {
        const items = new Set(o.set?.item ?? []);
        if (!(r.set?.item ?? []).every((i) => items.has(i))) return false;
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

/** Sum of scalar values by name, e.g. `{ cpus: 4, mem: 8192 }`. */
export function scalarTotals(resources: ResourceList): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of resources) if (r.type === "SCALAR") out[r.name] = fixed((out[r.name] ?? 0) + (r.scalar?.value ?? 0));
  return out;
}

export function rangesOf(resources: ResourceList, name: string): Range[] {
  return mergeRanges(resources.filter((r) => r.name === name && r.type === "RANGES").flatMap((r) => r.ranges?.range ?? []));
}

export const filterResources = (resources: ResourceList, predicate: (r: Resource) => boolean): Resource[] => resources.filter(predicate);

// ---- text forms ---------------------------------------------------------------------------

export const formatRanges = (ranges: readonly Range[]): string =>
  `[${mergeRanges(ranges).map((r) => `${r.begin}-${r.end}`).join(", ")}]`;

/**
 * The legacy `/master/state` resources object: cpus, gpus, mem and disk always present, other scalars
 * summed by name, ranges as "[a-b, c-d]", sets as "{a, b}".
 */
export function legacyResources(resources: ResourceList): Record<string, number | string> {
  return legacyResourcesOf([resources]);
}

/**
 * The legacy object of the sum of many lists, without building the sum as Resource objects: state
 * views add up the resources of hundreds of thousands of tasks.
 */
export function legacyResourcesOf(lists: Iterable<ResourceList>): Record<string, number | string> {
  const out: Record<string, number | string> = { cpus: 0, gpus: 0, mem: 0, disk: 0 };
  const ranges = new Map<string, Range[]>();
  const sets = new Map<string, Set<string>>();
  for (const resources of lists) {
    for (const r of resources) {
      const name = r.revocable ? `${r.name}_revocable` : r.name;
      if (r.type === "SCALAR") out[name] = Number(out[name] ?? 0) + (r.scalar?.value ?? 0);
      else if (r.type === "RANGES") {
        const list = ranges.get(name);
        if (list) list.push(...(r.ranges?.range ?? []));
        else ranges.set(name, [...(r.ranges?.range ?? [])]);
      } else if (r.type === "SET") {
        const s = sets.get(name) ?? new Set<string>();
        for (const i of r.set?.item ?? []) s.add(i);
        sets.set(name, s);
      }
    }
  }
  for (const [name, value] of Object.entries(out)) if (typeof value === "number") out[name] = fixed(value);
  for (const [name, rs] of ranges) out[name] = formatRanges(rs);
  for (const [name, s] of sets) out[name] = `{${[...s].sort().join(", ")}}`;
  return out;
}

function parseValue(name: string, raw: string): Pick<Resource, "type" | "scalar" | "ranges" | "set"> {
  if (raw.startsWith("[")) {
    if (!raw.endsWith("]")) throw new Error(`resource ${name}: ranges must look like [31000-32000,33000-33100], got ${raw}`);
    const inner = raw.slice(1, -1).trim();
    const range = inner === "" ? [] : inner.split(",").map((part) => {
      const m = /^(\d+)-(\d+)$/.exec(part.trim());
      if (!m) throw new Error(`resource ${name}: invalid range "${part}" (expected begin-end)`);
      const begin = Number(m[1]);
      const end = Number(m[2]);
      if (end < begin) throw new Error(`resource ${name}: range ${part} ends before it begins`);
      return { begin, end };
    });
    return { type: "RANGES", ranges: { range: mergeRanges(range) } };
  }
  if (raw.startsWith("{")) {
    if (!raw.endsWith("}")) throw new Error(`resource ${name}: sets must look like {a,b}, got ${raw}`);
    const items = raw.slice(1, -1).split(",").map((s) => s.trim()).filter(Boolean);
    return { type: "SET", set: { item: items } };
  }
  const value = Number(raw);
  if (raw === "" || !Number.isFinite(value) || value < 0) {
    throw new Error(`resource ${name}: "${raw}" is not a non-negative number, a range list [a-b] or a set {a,b}`);
  }
  return { type: "SCALAR", scalar: { value: fixed(value) } };
}

/**
 * Parses Mesos' `--resources` syntax: `cpus:4;mem:8192;ports:[31000-32000];bugs(debug):{a,b}`,
 * or a JSON array of Resource objects. Throws an Error naming the bad entry.
 */
export function parseResources(spec: string, defaultRole = "*"): Resource[] {
  const trimmed = spec.trim();
  if (trimmed.startsWith("[") && trimmed.includes("{\"")) {
    return (JSON.parse(trimmed) as Resource[]).map((r) => normalizeResource({ ...r, reservations: r.reservations ?? [] }));
  }
  const out: Resource[] = [];
  for (const entry of trimmed.split(";").map((s) => s.trim()).filter(Boolean)) {
    const colon = entry.indexOf(":");
    if (colon <= 0) throw new Error(`resource "${entry}": expected name:value, e.g. cpus:4`);
    const head = entry.slice(0, colon).trim();
    const m = /^([A-Za-z0-9_.-]+)(?:\(([^)]*)\))?$/.exec(head);
    if (!m) throw new Error(`resource "${entry}": invalid name "${head}"`);
    const name = m[1]!;
    const role = m[2] ?? defaultRole;
    out.push({ name, role, reservations: [], ...parseValue(name, entry.slice(colon + 1).replace(/\s+/g, "")) });
  }
  return addResources([], out);
}

/** Parses `--attributes`: `rack:r1;zone:a;level:10;keys:[1000-1500];tags:{a,b}`. */
export function parseAttributes(spec: string): Attribute[] {
  const out: Attribute[] = [];
  for (const entry of spec.split(";").map((s) => s.replace(/\s+/g, "")).filter(Boolean)) {
    const colon = entry.indexOf(":");
    if (colon <= 0) throw new Error(`attribute "${entry}": expected name:value, e.g. rack:r1`);
    const name = entry.slice(0, colon);
    const raw = entry.slice(colon + 1);
    if (/^-?\d+(\.\d+)?$/.test(raw)) out.push({ name, type: "SCALAR", scalar: { value: Number(raw) } });
    else if (raw.startsWith("[") || raw.startsWith("{")) out.push({ name, ...(parseValue(name, raw) as Pick<Attribute, "type" | "ranges" | "set">) });
    else out.push({ name, type: "TEXT", text: { value: raw } });
  }
  return out;
}

/** An attribute's value as text, as constraints and the legacy JSON see it. */
export function attributeText(a: Attribute): string {
  switch (a.type) {
    case "SCALAR":
      return String(a.scalar?.value ?? 0);
    case "RANGES":
      return formatRanges(a.ranges?.range ?? []);
    case "SET":
      return `{${(a.set?.item ?? []).join(", ")}}`;
    default:
      return a.text?.value ?? "";
  }
}

/** Legacy JSON attribute value: scalars as numbers, the rest as text. */
export const legacyAttributeValue = (a: Attribute): number | string => (a.type === "SCALAR" ? (a.scalar?.value ?? 0) : attributeText(a));

export const scalar = (name: string, value: number, role = "*"): Resource => ({
  name,
  type: "SCALAR",
  scalar: { value: fixed(value) },
  role,
  reservations: [],
});

export const ranges = (name: string, range: Range[], role = "*"): Resource => ({
  name,
  type: "RANGES",
  ranges: { range: mergeRanges(range) },
  role,
  reservations: [],
});

/** Σ of many resource lists in one pass, accumulating values and merging ranges once at the end. */
export function sumResources(lists: Iterable<ResourceList>): Resource[] {
  const acc = new Map<string, { base: Resource; scalar: number; ranges: Range[]; items: Set<string> }>();
  for (const list of lists) {
    for (const r of list) {
      const key = resourceKey(r);
      let entry = acc.get(key);
      if (!entry) {
        entry = { base: r, scalar: 0, ranges: [], items: new Set() };
        acc.set(key, entry);
      }
      if (r.type === "SCALAR") entry.scalar += r.scalar?.value ?? 0;
      else if (r.type === "RANGES") for (const range of r.ranges?.range ?? []) entry.ranges.push(range);
      else if (r.type === "SET") for (const item of r.set?.item ?? []) entry.items.add(item);
    }
  }
  const out: Resource[] = [];
  for (const { base, scalar, ranges: rs, items } of acc.values()) {
    let r: Resource | undefined;
    if (base.type === "SCALAR") r = fixed(scalar) > 0 ? { ...base, scalar: { value: fixed(scalar) } } : undefined;
    else if (base.type === "RANGES") r = rs.length ? { ...base, ranges: { range: mergeRanges(rs) } } : undefined;
    else if (base.type === "SET") r = items.size ? { ...base, set: { item: [...items].sort() } } : undefined;
    if (r) out.push(r);
  }
  return out;
}
