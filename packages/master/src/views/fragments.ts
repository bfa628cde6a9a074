/**
 * Agents' and framework heads' legacy JSON, kept between requests until one of its inputs changes.
 * The inputs are the record's own fields (core/ reassigns them, never mutates them in place) and the
 * sequences of references the view sums up: the resources of running tasks and the outstanding
 * offers. Those sequences are checked in one pass per request that allocates nothing while they
 * stay the same: at Mesos' benchmark size every request would otherwise allocate (and promote, since
 * the response takes a while) tens of megabytes, and the master's half-gigabyte heap would be
 * marked by a full collection on every poll.
 */
import { isTerminalState, type Resource } from "@caravel/api";
import type { MasterContext } from "../core/context.js";
import type { AgentRecord, FrameworkRecord, OfferRecord, TaskRecord } from "../state/types.js";
import { legacyAgent, legacyFrameworkHead } from "./legacy.js";

/**
 * A sequence of references seen during one pass, compared with the previous pass's as it goes: no
 * allocation unless it differs.
 */
export class RefTrail<T> {
  private last: T[] = [];
  private pass = -1;
  private settled = -1;
  private cursor = 0;
  private fresh: T[] | undefined;

  see(pass: number, ref: T): void {
    if (this.pass !== pass) {
      this.pass = pass;
      this.cursor = 0;
      this.fresh = undefined;
    }
    if (this.fresh) this.fresh.push(ref);
    else if (this.cursor < this.last.length && this.last[this.cursor] === ref) this.cursor++;
    else {
      this.fresh = this.last.slice(0, this.cursor);
      this.fresh.push(ref);
    }
  }

  /** Ends the pass; true when its sequence differs from the previous pass's. */
  settle(pass: number): boolean {
    if (this.settled === pass) return false;
    this.settled = pass;
    let changed: boolean;
    if (this.pass !== pass) {
      changed = this.last.length > 0;
      if (changed) this.last = [];
    } else if (this.fresh) {
      this.last = this.fresh;
      changed = true;
    } else {
      changed = this.cursor !== this.last.length;
      if (changed) this.last = this.last.slice(0, this.cursor);
    }
    this.fresh = undefined;
    return changed;
  }

  /** The sequence as of the last `settle`. */
  get items(): readonly T[] {
    return this.last;
  }
}

function sameFields(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

let passes = 0;

interface AgentEntry {
  fields: unknown[];
  running: RefTrail<Resource[]>;
  offers: RefTrail<OfferRecord>;
  json: Buffer | undefined;
  /** An input changed since `json` was built (sticky until it is rebuilt). */
  dirty: boolean;
}

interface AgentCache {
  entries: Map<string, AgentEntry>;
  /** The frameworks in order, and each one's running tasks with their resources, as of the last pass. */
  frameworks: RefTrail<FrameworkRecord>;
  running: WeakMap<FrameworkRecord, RefTrail<unknown>>;
  /** The last pass that fed the agents' running trails (later passes found nothing to change). */
  runningPass: number;
}

const agentCaches = new WeakMap<MasterContext, AgentCache>();

function cacheOf(ctx: MasterContext): AgentCache {
  let cache = agentCaches.get(ctx);
  if (!cache) agentCaches.set(ctx, (cache = { entries: new Map(), frameworks: new RefTrail(), running: new WeakMap(), runningPass: -1 }));
  return cache;
}

function entryFor(entries: Map<string, AgentEntry>, agentId: string): AgentEntry {
  let e = entries.get(agentId);
  if (!e) entries.set(agentId, (e = { fields: [], running: new RefTrail(), offers: new RefTrail(), json: undefined, dirty: true }));
  return e;
}

/** One pass over all agents, as `agentJson` needs it. */
export interface AgentPass {
  readonly offersPass: number;
  readonly runningPass: number;
}

/** The agent section of the request that holds the agent caches; the next one waits for it. */
let agentSection: Promise<void> = Promise.resolve();

/**
 * Runs `use` with a fresh agent pass while no other request uses the agent caches: `use` may await
 * (and let the event loop turn) between agents, which at Mesos' size keeps a cold pass (every
 * agent serialised) from holding the loop for a second.
 */
export async function withAgentPass<T>(ctx: MasterContext, use: (pass: AgentPass) => T | Promise<T>): Promise<T> {
  const previous = agentSection;
  let release!: () => void;
  agentSection = new Promise<void>((resolve) => (release = resolve));
  await previous;
  try {
    return await use(beginAgentPass(ctx));
  } finally {
    release();
  }
}

/**
 * Starts a pass over all agents: collects every agent's running-task resources and offers. Only
 * through `withAgentPass`, since another request's pass must not interleave with the `agentJson`
 * calls that use this one.
 *
 * Each framework's running tasks are first compared with the previous pass's (a few nanoseconds a
 * task); only when some changed are they spread over the agents, which costs a map lookup a task.
 */
function beginAgentPass(ctx: MasterContext): AgentPass {
  const pass = ++passes;
  const cache = cacheOf(ctx);
  const entries = cache.entries;
  if (entries.size > ctx.agents.size + 1024) for (const id of entries.keys()) if (!ctx.agents.has(id)) entries.delete(id);
  let changed = false;
  for (const fw of ctx.frameworks.values()) {
    cache.frameworks.see(pass, fw);
    let trail = cache.running.get(fw);
    if (!trail) cache.running.set(fw, (trail = new RefTrail()));
    for (const t of fw.tasks.values()) {
      if (t.released || isTerminalState(t.state)) continue;
      trail.see(pass, t);
      trail.see(pass, t.resources);
    }
    if (trail.settle(pass)) changed = true;
    for (const o of fw.offers.values()) entryFor(entries, o.agentId).offers.see(pass, o);
  }
  if (cache.frameworks.settle(pass)) changed = true;
  if (changed || cache.runningPass < 0) {
    cache.runningPass = pass;
    for (const fw of ctx.frameworks.values()) {
      const items = cache.running.get(fw)!.items;
      for (let i = 0; i < items.length; i += 2) entryFor(entries, (items[i] as TaskRecord).agentId).running.see(pass, items[i + 1] as Resource[]);
    }
  }
  return { offersPass: pass, runningPass: cache.runningPass };
}

/** An agent's legacy JSON (as `JSON.stringify(legacyAgent(...))`), from the cache when nothing changed. */
export function agentJson(ctx: MasterContext, agent: AgentRecord, pass: AgentPass): Buffer {
  const e = entryFor(cacheOf(ctx).entries, agent.id);
  const fields = [agent, agent.info, agent.pid, agent.registeredTime, agent.reregisteredTime, agent.total, agent.state, agent.deactivated, agent.version, agent.capabilities, agent.drain?.state];
  if (e.running.settle(pass.runningPass)) e.dirty = true;
  if (e.offers.settle(pass.offersPass)) e.dirty = true;
  if (!sameFields(e.fields, fields)) {
    e.fields = fields;
    e.dirty = true;
  }
  if (e.dirty || !e.json) {
    const offers = new Map([[agent.id, [...e.offers.items]]]);
    e.json = Buffer.from(JSON.stringify(legacyAgent(ctx, agent, offers, [...e.running.items])), "utf8");
    e.dirty = false;
  }
  return e.json;
}

interface FrameworkEntry {
  fields: unknown[];
  running: RefTrail<Resource[]>;
  offers: RefTrail<OfferRecord>;
  executors: RefTrail<unknown>;
  json: string | undefined;
}

const frameworkEntries = new WeakMap<FrameworkRecord, FrameworkEntry>();

/** A framework's head (everything but its task lists) as `JSON.stringify(legacyFrameworkHead(fw))`. */
export function frameworkHeadJson(fw: FrameworkRecord): string {
  let e = frameworkEntries.get(fw);
  if (!e) frameworkEntries.set(fw, (e = { fields: [], running: new RefTrail(), offers: new RefTrail(), executors: new RefTrail(), json: undefined }));
  const pass = ++passes;
  for (const t of fw.tasks.values()) if (!t.released && !isTerminalState(t.state)) e.running.see(pass, t.resources);
  for (const o of fw.offers.values()) e.offers.see(pass, o);
  for (const [id, executor] of fw.executors) {
    e.executors.see(pass, id);
    e.executors.see(pass, executor);
  }
  // Evaluated separately: every trail has to settle.
  const running = e.running.settle(pass);
  const offers = e.offers.settle(pass);
  const executors = e.executors.settle(pass);
  const fields = [fw.id, fw.info, fw.connected, fw.recovered, fw.registeredTime, fw.unregisteredTime, fw.reregisteredTime, fw.roles];
  const same = sameFields(e.fields, fields);
  if (running || offers || executors || !same || e.json === undefined) {
    e.fields = fields;
    e.json = JSON.stringify(legacyFrameworkHead(fw));
  }
  return e.json;
}
