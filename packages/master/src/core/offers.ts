/**
 * Offers: turning allocator decisions into OFFERS events, and taking offers back (used, declined,
 * rescinded, timed out). Offered resources stay allocated in the allocator until recovered here.
 */
import { hasCapability, type Offer } from "@caravel/api";
import type { AgentRecord, FrameworkRecord, OfferRecord } from "../state/types.js";
import { forFramework } from "../views/resources.js";
import type { MasterContext } from "./context.js";
import { sendToFramework } from "./tasks.js";

const OFFERS_PER_EVENT = 100;

/** One allocation run: allocator decisions → offers, sent in OFFERS events per framework. */
export function runAllocation(ctx: MasterContext): number {
  const started = performance.now();
  const allocations = ctx.allocator.allocate(ctx.now());
  const byFramework = new Map<FrameworkRecord, Offer[]>();
  for (const allocation of allocations) {
    const fw = ctx.frameworks.get(allocation.frameworkId);
    const agent = ctx.agents.get(allocation.agentId);
    if (!fw || !fw.connected || !agent || agent.state !== "REGISTERED") {
      if (fw && agent) ctx.allocator.recover(allocation.frameworkId, allocation.agentId, allocation.role, allocation.resources);
      continue;
    }
    const record: OfferRecord = {
      id: ctx.ids.offer(),
      frameworkId: fw.id,
      agentId: agent.id,
      role: allocation.role,
      resources: allocation.resources.map(({ allocation_info: _a, ...r }) => r),
      createdAt: ctx.now(),
    };
    fw.offers.set(record.id, record);
    if (ctx.config.offer_timeout !== undefined) {
      record.timer = setTimeout(() => rescindOffer(ctx, record), ctx.config.offer_timeout * 1000);
      record.timer.unref();
    }
    const list = byFramework.get(fw) ?? [];
    list.push(offerJson(ctx, fw, agent, record));
    byFramework.set(fw, list);
  }
  // At most OFFERS_PER_EVENT offers per event: a framework starts on the first ones while the rest
  // are still on the wire (and a client parses smaller records), as frameworks handle several events.
  for (const [fw, offers] of byFramework) {
    for (let i = 0; i < offers.length; i += OFFERS_PER_EVENT) sendToFramework(fw, { type: "OFFERS", offers: { offers: offers.slice(i, i + OFFERS_PER_EVENT) } });
  }
  ctx.deps.metrics.observe("allocator/mesos/allocation_run_ms", performance.now() - started);
  ctx.count("allocator/mesos/allocation_runs");
  return allocations.length;
}

export function offerJson(ctx: MasterContext, fw: FrameworkRecord, agent: AgentRecord, offer: OfferRecord): Offer {
  const multiRole = hasCapability(fw.info, "MULTI_ROLE");
  const refinement = hasCapability(fw.info, "RESERVATION_REFINEMENT");
  const executorIds = [...fw.executors.entries()].filter(([, e]) => e.agentId === agent.id).map(([id]) => ({ value: id }));
  return {
    id: { value: offer.id },
    framework_id: { value: fw.id },
    agent_id: { value: agent.id },
    hostname: agent.info.hostname,
    url: { scheme: "http", address: { hostname: agent.info.hostname, ip: agent.ip, port: agent.info.port }, path: "/slave(1)", query: [] },
    domain: agent.info.domain,
    resources: offer.resources.map((r) => forFramework(r, { multiRole, refinement, allocationRole: offer.role })),
    attributes: agent.info.attributes,
    executor_ids: executorIds,
    allocation_info: multiRole ? { role: offer.role } : undefined,
  };
}

/** Removes an offer without telling the framework (it used or declined it). */
export function removeOffer(fw: FrameworkRecord, offer: OfferRecord): void {
  if (offer.timer) clearTimeout(offer.timer);
  fw.offers.delete(offer.id);
}

/** Takes an offer back: RESCIND to the framework, resources back to the allocator. */
export function rescindOffer(ctx: MasterContext, offer: OfferRecord, options: { notify?: boolean } = {}): void {
  const fw = ctx.frameworks.get(offer.frameworkId);
  if (!fw || !fw.offers.has(offer.id)) return;
  removeOffer(fw, offer);
  if (options.notify !== false) sendToFramework(fw, { type: "RESCIND", rescind: { offer_id: { value: offer.id } } });
  if (ctx.agents.get(offer.agentId)?.state === "REGISTERED" || ctx.agents.get(offer.agentId)?.state === "DISCONNECTED") {
    ctx.allocator.recover(offer.frameworkId, offer.agentId, offer.role, offer.resources);
  }
}

export function rescindAgentOffers(ctx: MasterContext, agentId: string): void {
  for (const fw of ctx.frameworks.values()) for (const offer of [...fw.offers.values()]) if (offer.agentId === agentId) rescindOffer(ctx, offer);
}

/** A disconnected or removed framework's offers go back without RESCIND events (it has no stream). */
export function recoverFrameworkOffers(ctx: MasterContext, fw: FrameworkRecord): void {
  for (const offer of [...fw.offers.values()]) rescindOffer(ctx, offer, { notify: false });
}
