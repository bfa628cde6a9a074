/**
 * "Why is my app not running?": evaluates an app against the latest offer of every agent and says,
 * per agent, the first filter that rejects it, plus what the closest agent lacks.
 */
import type { AppDefinition, ExplainResult } from "@caravel/api";
import { spreadOf } from "./constraints.js";
import { fitInstance, type FitResult } from "./fit.js";
import type { OfferView } from "./offer.js";

export interface ExplainInput {
  app: AppDefinition;
  /** Instances still to launch. */
  waiting: number;
  /** The latest offer seen from each agent (possibly already declined). */
  offers: readonly OfferView[];
  placed: readonly Record<string, string>[];
  now: number;
  defaultAcceptedRoles: readonly string[];
  delayUntil?: number;
  lastOfferAt?: number;
  /** Resident apps: the agents holding the free reservations every waiting instance is pinned to. */
  pinned?: readonly { agentId: string; hostname: string }[];
}

export function explainPlacement(input: ExplainInput): ExplainResult {
  const spread = spreadOf(input.app.constraints, input.placed);
  const pinned = input.pinned?.length ? input.pinned : undefined;
  const pinnedText = pinned ? [...new Set(pinned.map((p) => p.hostname))].join(", ") : "";
  const agents = input.offers.map((offer) => {
    if (pinned && !pinned.some((p) => p.agentId === offer.agentId)) {
      const detail = `a resident instance relaunches only on ${pinnedText}, where its reservation and persistent volumes are`;
      return { offer, result: { fits: false, filter: "constraint", detail, missing: [detail] } as FitResult };
    }
    const result: FitResult = fitInstance(input.app, offer, {
      now: input.now,
      defaultAcceptedRoles: input.defaultAcceptedRoles,
      spread,
      ...(input.delayUntil !== undefined ? { delayUntil: input.delayUntil } : {}),
    });
    return { offer, result };
  });
  const fitting = agents.filter((a) => a.result.fits);
  const rejected = agents.filter((a) => !a.result.fits);
  const closest = [...rejected].sort((a, b) => rank(a.result) - rank(b.result) || a.offer.hostname.localeCompare(b.offer.hostname))[0];
  const delay = input.delayUntil !== undefined && input.delayUntil > input.now ? { timeLeftSeconds: Math.ceil((input.delayUntil - input.now) / 1000), overdue: false } : { timeLeftSeconds: 0, overdue: true };
  return {
    appId: input.app.id,
    summary: summarize(input, fitting.length, rejected.map((r) => r.result)),
    waiting: input.waiting,
    agents: agents.map(({ offer, result }) => ({
      agentId: offer.agentId,
      hostname: offer.hostname,
      fits: result.fits,
      ...(result.fits ? {} : { rejectedBy: result.filter }),
      detail: result.fits ? "fits" : result.detail,
    })),
    ...(closest && !closest.result.fits ? { closestFit: { agentId: closest.offer.agentId, hostname: closest.offer.hostname, missing: closest.result.missing } } : {}),
    ...(input.lastOfferAt !== undefined ? { lastOfferAt: new Date(input.lastOfferAt).toISOString() } : {}),
    delay,
  };
}

/** Orders rejections from "almost fits" to "hopeless": fewer missing items first; resources before policy. */
function rank(r: FitResult): number {
  if (r.fits) return -1;
  const policy = r.filter === "role" || r.filter === "constraint" || r.filter === "maintenance" ? 100 : 0;
  return policy + r.missing.length;
}

function summarize(input: ExplainInput, fits: number, rejections: FitResult[]): string {
  if (input.waiting === 0) return `${input.app.id} has no instances waiting to launch`;
  const pinned = input.pinned?.length ? [...new Set(input.pinned.map((p) => p.hostname))] : undefined;
  if (pinned && !input.offers.some((o) => input.pinned!.some((p) => p.agentId === o.agentId))) {
    return `${input.waiting} instance(s) of ${input.app.id} waiting for an offer from ${pinned.join(", ")}, which holds their reservation and persistent volumes (is the agent up and not draining?)`;
  }
  if (input.offers.length === 0) return `${input.waiting} instance(s) of ${input.app.id} waiting: no offers received yet (no agents, or all resources in use by other frameworks)`;
  if (fits > 0) return `${input.waiting} instance(s) of ${input.app.id} waiting; ${fits} agent(s) fit and will be used with their next offers`;
  const byFilter = new Map<string, number>();
  for (const r of rejections) if (!r.fits) byFilter.set(r.filter, (byFilter.get(r.filter) ?? 0) + 1);
  const parts = [...byFilter].sort((a, b) => b[1] - a[1]).map(([f, n]) => `${f} on ${n}`);
  return `${input.waiting} instance(s) of ${input.app.id} waiting: no agent fits (rejected by ${parts.join(", ")} of ${input.offers.length} agent(s))`;
}
