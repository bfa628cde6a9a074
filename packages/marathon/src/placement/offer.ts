/**
 * A Mesos offer seen through an app's eyes: the resources of the roles the app accepts, the agent's
 * attributes as constraint values, and maintenance. Consuming from it yields Mesos resources to launch
 * with (keeping each piece's role and allocation_info, as MULTI_ROLE frameworks must).
 */
import { attributeText, fixed, type Offer, type Range, type Resource } from "@caravel/api";

export interface OfferView {
  offerId: string;
  agentId: string;
  hostname: string;
  /** Unconsumed resources of the offer. */
  resources: Resource[];
  /** hostname, @hostname, @region, @zone and every attribute as Mesos text. */
  attributes: Record<string, string>;
  region?: string;
  zone?: string;
  /** Start of a maintenance window (ms since epoch), if any. */
  unavailableFrom?: number;
  /** The agent is being drained: place nothing new there. */
  draining: boolean;
}

/** The role a resource is for: its innermost reservation, else the legacy role field, else "*". */
export const roleOf = (r: Resource): string => r.reservations.at(-1)?.role ?? r.role ?? "*";

export function viewOfOffer(offer: Offer, draining = false): OfferView {
  const attributes: Record<string, string> = { hostname: offer.hostname, "@hostname": offer.hostname };
  for (const a of offer.attributes) attributes[a.name] = attributeText(a);
  const region = offer.domain?.fault_domain?.region.name;
  const zone = offer.domain?.fault_domain?.zone.name;
  if (region) attributes["@region"] = region;
  if (zone) attributes["@zone"] = zone;
  const start = offer.unavailability?.start.nanoseconds;
  return {
    offerId: offer.id.value,
    agentId: offer.agent_id.value,
    hostname: offer.hostname,
    resources: offer.resources.map((r) => ({ ...r })),
    attributes,
    ...(region ? { region } : {}),
    ...(zone ? { zone } : {}),
    ...(start !== undefined ? { unavailableFrom: Math.floor(Number(start) / 1e6) } : {}),
    draining,
  };
}

/** Scalar total of `name` over resources of the accepted roles. */
export function scalarFor(resources: readonly Resource[], name: string, roles: ReadonlySet<string>): number {
  let total = 0;
  for (const r of resources) if (r.name === name && r.type === "SCALAR" && roles.has(roleOf(r))) total += r.scalar?.value ?? 0;
  return fixed(total);
}

/** Port ranges offered for the accepted roles. */
export function portRangesFor(resources: readonly Resource[], roles: ReadonlySet<string>): { role: string; range: Range; piece: Resource }[] {
  const out: { role: string; range: Range; piece: Resource }[] = [];
  for (const r of resources) {
    if (r.name !== "ports" || r.type !== "RANGES" || !roles.has(roleOf(r))) continue;
    for (const range of r.ranges?.range ?? []) out.push({ role: roleOf(r), range, piece: r });
  }
  return out;
}

/** The roles present in an offer (for "role" rejections). */
export const rolesIn = (resources: readonly Resource[]): string[] => [...new Set(resources.map(roleOf))].sort();

/**
 * Takes `amount` of scalar `name` from `resources` (accepted roles only, reserved roles first) and
 * returns the pieces taken; `resources` is updated in place.
 */
export function takeScalar(resources: Resource[], name: string, amount: number, roles: ReadonlySet<string>): Resource[] {
  const taken: Resource[] = [];
  let left = fixed(amount);
  const order = resources
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => r.name === name && r.type === "SCALAR" && roles.has(roleOf(r)))
    .sort((a, b) => Number(roleOf(a.r) === "*") - Number(roleOf(b.r) === "*"));
  for (const { r } of order) {
    if (left <= 0) break;
    const have = r.scalar?.value ?? 0;
    const use = fixed(Math.min(have, left));
    if (use <= 0) continue;
    taken.push({ ...r, scalar: { value: use } });
    r.scalar = { value: fixed(have - use) };
    left = fixed(left - use);
  }
  return taken;
}

/** Takes the given host ports from `resources`, returning one `ports` resource per piece used. */
export function takePorts(resources: Resource[], ports: readonly number[], roles: ReadonlySet<string>): Resource[] {
  const taken = new Map<Resource, Range[]>();
  for (const port of ports) {
    const piece = resources.find((r) => r.name === "ports" && roles.has(roleOf(r)) && (r.ranges?.range ?? []).some((g) => g.begin <= port && port <= g.end));
    if (!piece) continue;
    const next: Range[] = [];
    for (const g of piece.ranges!.range) {
      if (g.begin <= port && port <= g.end) {
        if (g.begin < port) next.push({ begin: g.begin, end: port - 1 });
        if (port < g.end) next.push({ begin: port + 1, end: g.end });
      } else next.push(g);
    }
    piece.ranges = { range: next };
    taken.set(piece, [...(taken.get(piece) ?? []), { begin: port, end: port }]);
  }
  return [...taken].map(([piece, range]) => ({ ...piece, ranges: { range } }));
}
