/**
 * The placement pipeline for one app on one offer: a fixed sequence of named filters (backoff,
 * maintenance, role, constraint, cpus, mem, disk, gpus, ports). The first that rejects names the
 * reason with a detail a person can act on; `missing` lists every shortfall, for "closest fit".
 */
import { fixed, type PlacementFilter, type AppDefinition, requestedHostPorts } from "@caravel/api";
import { constraintRejection, type Spread } from "./constraints.js";
import { portRangesFor, rolesIn, scalarFor, type OfferView } from "./offer.js";

export interface FitContext {
  now: number;
  /** Roles an app without acceptedResourceRoles may use (Marathon's --default_accepted_resource_roles). */
  defaultAcceptedRoles: readonly string[];
  /** When the app may launch again (backoff), ms since epoch. */
  delayUntil?: number;
  /** The app's spread over its constraint fields. */
  spread: Spread;
  /** Values of constraint fields seen on other agents (GROUP_BY). */
  knownValues?: ReadonlyMap<string, ReadonlySet<string>>;
}

export type FitResult =
  | { fits: true; hostPorts: number[] }
  | { fits: false; filter: PlacementFilter; detail: string; missing: string[] };

const fmt = (n: number): string => String(fixed(n));

export const acceptedRolesOf = (app: Pick<AppDefinition, "acceptedResourceRoles">, defaults: readonly string[]): ReadonlySet<string> =>
  new Set(app.acceptedResourceRoles && app.acceptedResourceRoles.length ? app.acceptedResourceRoles : defaults);

/** Evaluates whether one instance of `app` fits `offer` now; does not consume anything. */
export function fitInstance(app: AppDefinition, offer: OfferView, ctx: FitContext): FitResult {
  const reject = (filter: PlacementFilter, detail: string, missing: string[] = [detail]): FitResult => ({ fits: false, filter, detail, missing });
  if (ctx.delayUntil !== undefined && ctx.delayUntil > ctx.now) {
    const left = Math.ceil((ctx.delayUntil - ctx.now) / 100) / 10;
    return reject("backoff", `launch delayed by backoff for another ${left} s after recent failures; DELETE /v2/queue${app.id}/delay to retry now`);
  }
  if (offer.draining) return reject("maintenance", `agent ${offer.hostname} is draining; new instances go elsewhere`);
  if (offer.unavailableFrom !== undefined && offer.unavailableFrom <= ctx.now) {
    return reject("maintenance", `agent ${offer.hostname} is in a maintenance window since ${new Date(offer.unavailableFrom).toISOString()}`);
  }
  const roles = acceptedRolesOf(app, ctx.defaultAcceptedRoles);
  if (!offer.resources.some((r) => roles.has(roleOfSafe(r)))) {
    return reject("role", `agent offers resources only for role(s) ${rolesIn(offer.resources).join(", ") || "(none)"}; the app accepts ${[...roles].join(", ")} (see acceptedResourceRoles)`);
  }
  for (const c of app.constraints) {
    const why = constraintRejection(c, offer.attributes, ctx.spread, ctx.knownValues?.get(c[0] ?? ""));
    if (why) return reject("constraint", why);
  }
  const missing: string[] = [];
  let first: { filter: PlacementFilter; detail: string } | undefined;
  const need = (filter: PlacementFilter, name: string, amount: number, unit: string) => {
    if (amount <= 0) return;
    const have = scalarFor(offer.resources, name, roles);
    if (have + 1e-9 < amount) {
      const detail = `needs ${fmt(amount)}${unit} ${name}, has ${fmt(have)}${unit}`;
      missing.push(detail);
      first ??= { filter, detail };
    }
  };
  need("cpus", "cpus", app.cpus, "");
  need("mem", "mem", app.mem, " MB");
  need("disk", "disk", app.disk, " MB");
  need("gpus", "gpus", app.gpus, "");
  const ports = choosePorts(requestedHostPorts(app), offer, roles);
  if (typeof ports === "string") {
    missing.push(ports);
    first ??= { filter: "ports", detail: ports };
  }
  if (first) return { fits: false, filter: first.filter, detail: first.detail, missing };
  return { fits: true, hostPorts: ports as number[] };
}

const roleOfSafe = (r: { reservations: { role?: string | undefined }[]; role?: string | undefined }): string => r.reservations.at(-1)?.role ?? r.role ?? "*";

/**
 * Picks host ports: the fixed ones must be offered, each 0 takes the lowest free port. Returns the
 * ports in request order, or a sentence saying what is missing.
 */
export function choosePorts(requested: readonly number[], offer: OfferView, roles: ReadonlySet<string>): number[] | string {
  if (requested.length === 0) return [];
  const ranges = portRangesFor(offer.resources, roles).map((p) => p.range);
  const offered = (port: number) => ranges.some((g) => g.begin <= port && port <= g.end);
  const fixedPorts = requested.filter((p) => p !== 0);
  const absent = fixedPorts.filter((p) => !offered(p));
  if (absent.length) return `needs port(s) ${absent.join(", ")}, which the agent does not offer`;
  const used = new Set(fixedPorts);
  const dynamic: number[] = [];
  const wanted = requested.length - fixedPorts.length;
  outer: for (const g of [...ranges].sort((a, b) => a.begin - b.begin)) {
    for (let p = g.begin; p <= g.end && dynamic.length < wanted; p++) {
      if (!used.has(p)) {
        dynamic.push(p);
        used.add(p);
      }
      if (dynamic.length >= wanted) break outer;
    }
  }
  if (dynamic.length < wanted) {
    const free = ranges.reduce((n, g) => n + (g.end - g.begin + 1), 0) - fixedPorts.length;
    return `needs ${requested.length} port(s), has ${Math.max(0, free) + fixedPorts.length}`;
  }
  let next = 0;
  return requested.map((p) => (p === 0 ? dynamic[next++]! : p));
}
