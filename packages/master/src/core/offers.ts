/**
 * Offers: turning allocator decisions into OFFERS events, and taking offers back (used, declined,
 * rescinded, timed out). Offered resources stay allocated in the allocator until recovered here.
 *
 * A new framework's first offers are on its critical path (1,000 idle agents = 1,000 offers in one
 * cycle), so OFFERS events are written from cached JSON text: per agent (id, hostname, url, domain,
 * attributes change only on re-registration) and per offered bag (the allocator offers an idle
 * agent's very same bag again after a decline or teardown). `offerText` equals the Mesos JSON of
 * the Offer message byte for byte (offers.test.ts in core/ builds that message field by field).
 */
import { hasCapability, toMesosJson, type AgentInfo, type Resource } from "@caravel/api";
import { offerMemo, withoutAllocationInfo, type Allocation } from "../allocator/index.js";
import type { AgentRecord, FrameworkRecord, OfferRecord } from "../state/types.js";
import { forFramework } from "../views/resources.js";
import type { MasterContext } from "./context.js";
import { sendToFramework } from "./tasks.js";

const OFFERS_PER_EVENT = 100;

/**
 * One allocation run: allocator decisions → offers, sent in OFFERS events per framework. The cycle
 * hands allocations out agent by agent, so a framework's first event leaves while the cycle is still
 * visiting the other agents; what cannot be offered goes back to the allocator once the cycle is over.
 */
export function runAllocation(ctx: MasterContext): number {
  const started = performance.now();
  const now = ctx.now();
  const batches = new Map<string, OfferBatch>();
  const giveBack: Allocation[] = [];
  let batch: OfferBatch | undefined;
  const count = ctx.allocator.allocateEach(now, (allocation) => {
    // Allocations come grouped by agent, not framework: keep the last framework's batch at hand.
    if (batch?.fw.id !== allocation.frameworkId) {
      batch = batches.get(allocation.frameworkId);
      if (!batch) {
        const fw = ctx.frameworks.get(allocation.frameworkId);
        if (fw) batches.set(fw.id, (batch = new OfferBatch(fw)));
      }
    }
    const fw = batch?.fw;
    const agent = ctx.agents.get(allocation.agentId);
    if (!batch || !fw || !fw.connected || !agent || agent.state !== "REGISTERED") {
      if (fw && agent) giveBack.push(allocation);
      return;
    }
    const record: OfferRecord = {
      id: ctx.ids.offer(),
      frameworkId: fw.id,
      agentId: agent.id,
      role: allocation.role,
      // Shared and frozen: every offer of the same resources keeps the same array (see wire-form.ts).
      resources: withoutAllocationInfo(allocation.resources) as Resource[],
      createdAt: now,
    };
    fw.offers.set(record.id, record);
    if (ctx.config.offer_timeout !== undefined) {
      record.timer = setTimeout(() => rescindOffer(ctx, record), ctx.config.offer_timeout * 1000);
      record.timer.unref();
    }
    batch.add(agent, record, allocation.resources);
  });
  for (const b of batches.values()) b.send();
  for (const a of giveBack) ctx.allocator.recover(a.frameworkId, a.agentId, a.role, a.resources);
  ctx.deps.metrics.observe("allocator/mesos/allocation_run_ms", performance.now() - started);
  ctx.count("allocator/mesos/allocation_runs");
  return count;
}

/**
 * One framework's offers of one run, sent in events of at most OFFERS_PER_EVENT offers as each fills:
 * a framework starts on the first ones while the rest are still being allocated, built and on the
 * wire (and a client parses smaller records). The first event is written at once rather than at the
 * end of the turn. Writing cannot call back into the allocator: a stream's errors and close come later.
 */
class OfferBatch {
  private texts: string[] = [];
  private sent = 0;
  private readonly executors: Map<string, Array<{ value: string }>> | undefined;
  private readonly flavour: Flavour;

  constructor(readonly fw: FrameworkRecord) {
    this.executors = executorsByAgent(fw);
    this.flavour = flavourOf(fw);
  }

  add(agent: AgentRecord, record: OfferRecord, wire: readonly Resource[]): void {
    this.texts.push(textOf(this.fw, this.flavour, agent, record, wire, this.executors?.get(agent.id)));
    if (this.texts.length === OFFERS_PER_EVENT) this.send();
  }

  send(): void {
    if (this.texts.length === 0) return;
    const stream = this.fw.connected ? this.fw.stream : undefined;
    stream?.sendRaw(`{"type":"OFFERS","offers":{"offers":[${this.texts.join(",")}]}}`);
    if (this.sent++ === 0) stream?.flush();
    this.texts = [];
  }
}

/** A framework's task-group executors by agent (offers name them in `executor_ids`). */
function executorsByAgent(fw: FrameworkRecord): Map<string, Array<{ value: string }>> | undefined {
  if (fw.executors.size === 0) return undefined;
  const out = new Map<string, Array<{ value: string }>>();
  for (const [id, e] of fw.executors) {
    const list = out.get(e.agentId);
    if (list) list.push({ value: id });
    else out.set(e.agentId, [{ value: id }]);
  }
  return out;
}

/** The JSON members of an object without its braces ("" when toMesosJson leaves nothing). */
const members = (value: object): string => toMesosJson(value).slice(1, -1);

interface AgentText {
  info: AgentInfo;
  ip: string;
  /** `"agent_id":…,"hostname":…,"url":…[,"domain":…]` */
  head: string;
  /** `,"attributes":[…]` or "" */
  attributes: string;
}
const agentTexts = new WeakMap<AgentRecord, AgentText>();

function agentText(agent: AgentRecord): AgentText {
  const cached = agentTexts.get(agent);
  if (cached !== undefined && cached.info === agent.info && cached.ip === agent.ip) return cached;
  const { hostname, port, domain, attributes } = agent.info;
  const text: AgentText = {
    info: agent.info,
    ip: agent.ip,
    head: members({ agent_id: { value: agent.id }, hostname, url: { scheme: "http", address: { hostname, ip: agent.ip, port }, path: "/slave(1)", query: [] }, domain }),
    attributes: members({ attributes }),
  };
  if (text.attributes !== "") text.attributes = `,${text.attributes}`;
  agentTexts.set(agent, text);
  return text;
}

interface Flavour {
  multiRole: boolean;
  refinement: boolean;
}

const flavourOf = (fw: FrameworkRecord): Flavour => ({ multiRole: hasCapability(fw.info, "MULTI_ROLE"), refinement: hasCapability(fw.info, "RESERVATION_REFINEMENT") });

/**
 * One offer's JSON, exactly as `toMesosJson` writes the Offer message (see offers.test.ts), from cached
 * parts. `wire` is the allocation's own resources array when there is one (its serialised form is
 * cached with the allocator's bag); `executorIds` are the framework's executors on the agent.
 */
export function offerText(fw: FrameworkRecord, agent: AgentRecord, offer: OfferRecord, wire: readonly Resource[] = offer.resources, executorIds?: Array<{ value: string }>): string {
  return textOf(fw, flavourOf(fw), agent, offer, wire, executorIds);
}

function textOf(fw: FrameworkRecord, flavour: Flavour, agent: AgentRecord, offer: OfferRecord, wire: readonly Resource[], executorIds: Array<{ value: string }> | undefined): string {
  const { multiRole, refinement } = flavour;
  const key = multiRole ? `${refinement ? "mr" : "m-"}${offer.role}` : refinement ? "-r" : "--";
  const memo = offerMemo(wire);
  let resources = memo?.get(key);
  if (resources === undefined) {
    resources = toMesosJson(wire.map((r) => forFramework(r, { multiRole, refinement, allocationRole: offer.role })));
    memo?.set(key, resources);
  }
  const a = agentText(agent);
  let out = `{"id":{"value":${jsonString(offer.id)}},"framework_id":{"value":${jsonString(fw.id)}},${a.head}`;
  if (resources !== "[]") out += `,"resources":${resources}`;
  out += a.attributes;
  if (executorIds !== undefined && executorIds.length > 0) out += `,"executor_ids":${toMesosJson(executorIds)}`;
  if (multiRole) out += `,"allocation_info":{"role":${jsonString(offer.role)}}`;
  return `${out}}`;
}

/** A JSON string as toMesosJson writes it; ids are nearly always plain ASCII, which needs no escaping. */
function jsonString(value: string): string {
  return /^[\w.:@-]*$/.test(value) ? `"${value}"` : toMesosJson(value);
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
