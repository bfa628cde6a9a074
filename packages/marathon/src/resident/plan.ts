/**
 * One round of offers for resident apps, as a pure function: relaunch free reservations on the agent
 * that holds them, reserve + create + launch new instances where the app has fewer reservations than
 * instances, and give back (DESTROY + UNRESERVE) reservations nobody needs any more, including
 * orphans (labelled with our framework id but unknown, e.g. after a failed accept).
 */
import type { AppDefinition, Operation, Resource } from "@caravel/api";
import { spreadOf, addToSpread } from "../placement/constraints.js";
import type { OfferView } from "../placement/offer.js";
import { allocationRoleOf, LABEL_FRAMEWORK, planFirstLaunch, releaseOperations, reservationIdOf, reservedInOffer, type Reservation } from "./reservation.js";

export interface ResidentDemand {
  app: AppDefinition;
  /** Instances to launch now. */
  count: number;
  delayUntil?: number;
}

export interface ResidentLaunch {
  app: AppDefinition;
  offer: OfferView;
  resources: Resource[];
  hostPorts: number[];
  reservationId: string;
}

export interface ResidentRoundInput {
  demands: readonly ResidentDemand[];
  offers: readonly OfferView[];
  reservations: readonly Reservation[];
  /** Whether a reservation's instance is alive (it must then be left alone). */
  isUsed: (r: Reservation) => boolean;
  /** Instances wanted per app now (absent: the app is gone). */
  wanted: ReadonlyMap<string, number>;
  role: string;
  frameworkId: string;
  now: number;
  newReservationId: (appId: string) => string;
}

export interface OfferUse {
  offer: OfferView;
  /** Non-launch operations, in order (DESTROY, UNRESERVE, RESERVE, CREATE). */
  operations: Operation[];
  launches: ResidentLaunch[];
}

export interface ResidentRound {
  byOffer: Map<string, OfferUse>;
  created: Reservation[];
  /** Reservations given back in this round (to forget). */
  released: string[];
  /**
   * Free reservations missing from an offer of their agent for their role (where they would have
   * to be): evidence that the ACCEPT making them was dropped. Seen often enough, they are forgotten.
   */
  absent: string[];
  /** Free reservations found in an offer of their agent. */
  present: string[];
}

/**
 * Residency's escalation: with `taskLostBehavior: RELAUNCH_AFTER_TIMEOUT`, an instance whose
 * reservation has been free (its agent gone or not offering) for `relaunchEscalationTimeoutSeconds`
 * gives up on it and is placed anew elsewhere; its old volume's data is not carried over. The
 * default, WAIT_FOREVER, keeps waiting for its agent.
 */
export function escalated(reservations: readonly Reservation[], apps: ReadonlyMap<string, AppDefinition>, freeSince: ReadonlyMap<string, number>, now: number): Reservation[] {
  return reservations.filter((r) => {
    const residency = apps.get(r.appId)?.residency as { taskLostBehavior?: string; relaunchEscalationTimeoutSeconds?: number } | undefined;
    const since = freeSince.get(r.id);
    if (since === undefined || residency?.taskLostBehavior !== "RELAUNCH_AFTER_TIMEOUT") return false;
    return now - since >= (residency.relaunchEscalationTimeoutSeconds ?? 3600) * 1000;
  });
}

/** Reservations to give back: free ones of apps that are gone, or beyond the app's instance count. */
export function dueForRelease(reservations: readonly Reservation[], wanted: ReadonlyMap<string, number>, isUsed: (r: Reservation) => boolean): Reservation[] {
  const out: Reservation[] = [];
  const byApp = new Map<string, Reservation[]>();
  for (const r of reservations) (byApp.get(r.appId) ?? byApp.set(r.appId, []).get(r.appId)!).push(r);
  for (const [appId, list] of byApp) {
    const n = wanted.get(appId);
    const free = list.filter((r) => !isUsed(r)).sort((a, b) => b.createdAt - a.createdAt);
    const excess = n === undefined ? list.length : Math.max(0, list.length - n);
    out.push(...free.slice(0, excess));
  }
  return out;
}

export function planResidentRound(input: ResidentRoundInput): ResidentRound {
  const byOffer = new Map<string, OfferUse>();
  const use = (offer: OfferView): OfferUse => byOffer.get(offer.offerId) ?? byOffer.set(offer.offerId, { offer, operations: [], launches: [] }).get(offer.offerId)!;
  const known = new Set(input.reservations.map((r) => r.id));
  const released: string[] = [];

  // Give back what nobody needs, and orphans of ours, before anything is placed on the same offers.
  const due = new Set(dueForRelease(input.reservations, input.wanted, input.isUsed).map((r) => r.id));
  for (const offer of input.offers) {
    const ids = new Set(offer.resources.filter((r) => ours(r, input.frameworkId)).map(reservationIdOf).filter((id): id is string => id !== undefined));
    for (const id of ids) {
      if (known.has(id) && !due.has(id)) continue;
      const ops = releaseOperations(offer, id);
      if (!ops) continue;
      const u = use(offer);
      if (ops.destroy.length) u.operations.push({ type: "DESTROY", destroy: { volumes: ops.destroy } });
      u.operations.push({ type: "UNRESERVE", unreserve: { resources: ops.unreserve } });
      offer.resources = offer.resources.filter((r) => reservationIdOf(r) !== id);
      if (known.has(id)) released.push(id);
    }
  }

  // Where free reservations should show up: every offer of their agent allocated to their role.
  const absent: string[] = [];
  const present: string[] = [];
  for (const r of input.reservations) {
    if (input.isUsed(r) || released.includes(r.id)) continue;
    const offers = input.offers.filter((o) => o.agentId === r.agentId && allocationRoleOf(o) === r.role);
    if (offers.length === 0) continue;
    if (offers.some((o) => o.resources.some((x) => reservationIdOf(x) === r.id))) present.push(r.id);
    else absent.push(r.id);
  }

  const created: Reservation[] = [];
  for (const d of input.demands) {
    if (d.count <= 0 || (d.delayUntil !== undefined && d.delayUntil > input.now)) continue;
    const mine = input.reservations.filter((r) => r.appId === d.app.id && !released.includes(r.id));
    const free = mine.filter((r) => !input.isUsed(r));
    let left = d.count;
    // Relaunches: only on the agent holding the reservation, with exactly its resources.
    for (const r of free) {
      if (left <= 0) break;
      for (const offer of input.offers) {
        if (offer.agentId !== r.agentId) continue;
        const found = reservedInOffer(offer, r);
        if (!found) continue;
        offer.resources = offer.resources.filter((x) => reservationIdOf(x) !== r.id);
        use(offer).launches.push({ app: d.app, offer, resources: found.resources, hostPorts: found.hostPorts, reservationId: r.id });
        left--;
        break;
      }
    }
    // New reservations only where the app holds fewer than it wants, never for a free one still waiting.
    let fresh = Math.min(left - (free.length - (d.count - left)), (input.wanted.get(d.app.id) ?? 0) - mine.length);
    if (fresh <= 0) continue;
    const spread = spreadOf(d.app.constraints, mine.map((r) => r.attributes));
    for (const offer of input.offers) {
      while (fresh > 0) {
        const id = input.newReservationId(d.app.id);
        const plan = planFirstLaunch(d.app, offer, { role: input.role, frameworkId: input.frameworkId, reservationId: id, now: input.now, spread });
        if ("fits" in plan) break;
        const u = use(offer);
        u.operations.push({ type: "RESERVE", reserve: { resources: plan.reserve, source: [] } });
        if (plan.create.length) u.operations.push({ type: "CREATE", create: { volumes: plan.create } });
        u.launches.push({ app: d.app, offer, resources: plan.task, hostPorts: plan.hostPorts, reservationId: id });
        created.push({ id, appId: d.app.id, agentId: offer.agentId, hostname: offer.hostname, attributes: offer.attributes, role: input.role, volumeIds: plan.volumeIds, createdAt: input.now });
        addToSpread(spread, offer.attributes);
        fresh--;
      }
      if (fresh <= 0) break;
    }
  }
  return { byOffer, created, released, absent, present };
}

const ours = (r: Resource, frameworkId: string): boolean => (r.reservation?.labels?.labels ?? r.reservations.at(-1)?.labels?.labels ?? []).some((l) => l.key === LABEL_FRAMEWORK && l.value === frameworkId);
