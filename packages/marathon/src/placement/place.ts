/**
 * Matching offers to the launch queue: a pure function of (demands, offers, placed instances, now).
 * Offers are visited round-robin so that instances spread over agents; a demand that does not fit an
 * offer is not tried on it again in the same round (resources only shrink). Every evaluation is
 * reported, so that the queue's statistics and `explain` tell why an app waits.
 */
import { requestedHostPorts, type AppDefinition, type Resource } from "@caravel/api";
import { addToSpread, spreadOf, type Spread } from "./constraints.js";
import { acceptedRolesOf, fitInstance, type FitResult } from "./fit.js";
import { takePorts, takeScalar, type OfferView } from "./offer.js";

export interface LaunchDemand {
  app: AppDefinition;
  /** Instances still to launch. */
  count: number;
  /** Backoff: no launch before this time (ms). */
  delayUntil?: number;
}

export interface Placement {
  app: AppDefinition;
  offer: OfferView;
  /** Resources to launch the task with (pieces of the offer, roles kept). */
  resources: Resource[];
  hostPorts: number[];
}

export interface PlacementInput {
  demands: readonly LaunchDemand[];
  offers: readonly OfferView[];
  /** Attributes of the agents where each app's active instances run, by app id. */
  placed: ReadonlyMap<string, readonly Record<string, string>[]>;
  now: number;
  defaultAcceptedRoles: readonly string[];
  /** At most this many launches per offer in one round. */
  maxPerOffer: number;
}

export interface PlacementOutput {
  placements: Placement[];
  /** Offers with nothing placed on them (to decline). */
  unused: OfferView[];
  /** For each app, the result of each (first) evaluation on each agent. */
  evaluations: Map<string, Map<string, FitResult>>;
}

export function placeInstances(input: PlacementInput): PlacementOutput {
  const offers = input.offers.map((o) => ({ ...o, resources: o.resources.map(cloneResource) }));
  const remaining = input.demands.map((d) => d.count);
  const spreads: Spread[] = input.demands.map((d) => spreadOf(d.app.constraints, input.placed.get(d.app.id) ?? []));
  const known = knownValuesOf(input.demands, offers);
  const failed = input.demands.map(() => new Set<string>());
  const perOffer = new Map<string, number>();
  const evaluations = new Map<string, Map<string, FitResult>>();
  const placements: Placement[] = [];

  for (let progress = true; progress; ) {
    progress = false;
    for (const offer of offers) {
      for (let d = 0; d < input.demands.length; d++) {
        if (remaining[d]! <= 0 || failed[d]!.has(offer.offerId)) continue;
        if ((perOffer.get(offer.offerId) ?? 0) >= input.maxPerOffer) break;
        const demand = input.demands[d]!;
        const result = fitInstance(demand.app, offer, {
          now: input.now,
          defaultAcceptedRoles: input.defaultAcceptedRoles,
          spread: spreads[d]!,
          knownValues: known,
          ...(demand.delayUntil !== undefined ? { delayUntil: demand.delayUntil } : {}),
        });
        const forApp = evaluations.get(demand.app.id) ?? new Map<string, FitResult>();
        if (!forApp.has(offer.agentId)) forApp.set(offer.agentId, result);
        evaluations.set(demand.app.id, forApp);
        if (!result.fits) {
          failed[d]!.add(offer.offerId);
          continue;
        }
        const roles = acceptedRolesOf(demand.app, input.defaultAcceptedRoles);
        const resources = [
          ...takeScalar(offer.resources, "cpus", demand.app.cpus, roles),
          ...takeScalar(offer.resources, "mem", demand.app.mem, roles),
          ...takeScalar(offer.resources, "disk", demand.app.disk, roles),
          ...takeScalar(offer.resources, "gpus", demand.app.gpus, roles),
          ...takePorts(offer.resources, result.hostPorts, roles),
        ];
        placements.push({ app: demand.app, offer, resources, hostPorts: result.hostPorts });
        addToSpread(spreads[d]!, offer.attributes);
        remaining[d]!--;
        perOffer.set(offer.offerId, (perOffer.get(offer.offerId) ?? 0) + 1);
        progress = true;
      }
    }
  }
  const usedOffers = new Set(placements.map((p) => p.offer.offerId));
  return { placements, unused: input.offers.filter((o) => !usedOffers.has(o.offerId)), evaluations };
}

/** Values of every constraint field over all offers of the round (GROUP_BY compares against them). */
function knownValuesOf(demands: readonly LaunchDemand[], offers: readonly OfferView[]): Map<string, Set<string>> {
  const fields = new Set(demands.flatMap((d) => d.app.constraints.map((c) => c[0] ?? "")));
  const known = new Map<string, Set<string>>();
  for (const field of fields) {
    const values = new Set<string>();
    for (const o of offers) if (o.attributes[field] !== undefined) values.add(o.attributes[field]!);
    known.set(field, values);
  }
  return known;
}

function cloneResource(r: Resource): Resource {
  return { ...r, ...(r.ranges ? { ranges: { range: r.ranges.range.map((g) => ({ ...g })) } } : {}), ...(r.scalar ? { scalar: { ...r.scalar } } : {}) };
}

/** Whether the app asks for any host port (used to reserve ports for a placement). */
export const needsHostPorts = (app: AppDefinition): boolean => requestedHostPorts(app).length > 0;
