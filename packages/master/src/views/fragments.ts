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
import type { AgentRecord, FrameworkRecord, OfferRecord } from "../state/types.js";
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

const agentEntries = new WeakMap<MasterContext, Map<string, AgentEntry>>();

function entriesOf(ctx: MasterContext): Map<string, AgentEntry> {
  let entries = agentEntries.get(ctx);
  if (!entries) agentEntries.set(ctx, (entries = new Map()));
  return entries;
}

function entryFor(entries: Map<string, AgentEntry>, agentId: string): AgentEntry {
  let e = entries.get(agentId);
  if (!e) entries.set(agentId, (e = { fields: [], running: new RefTrail(), offers: new RefTrail(), json: undefined, dirty: true }));
  return e;
}

/**
 * Starts a pass over all agents: collects every agent's running-task resources and offers. The pass
 * and the `agentJson` calls that use it must run without an await in between (another request's
 * pass would interleave).
 */
export function beginAgentPass(ctx: MasterContext): number {
  const pass = ++passes;
  const entries = entriesOf(ctx);
  if (entries.size > ctx.agents.size + 1024) for (const id of entries.keys()) if (!ctx.agents.has(id)) entries.delete(id);
  for (const fw of ctx.frameworks.values()) {
    for (const t of fw.tasks.values()) if (!t.released && !isTerminalState(t.state)) entryFor(entries, t.agentId).running.see(pass, t.info.resources);
    for (const o of fw.offers.values()) entryFor(entries, o.agentId).offers.see(pass, o);
  }
  return pass;
}

/** An agent's legacy JSON (as `JSON.stringify(legacyAgent(...))`), from the cache when nothing changed. */
export function agentJson(ctx: MasterContext, agent: AgentRecord, pass: number): Buffer {
  const e = entryFor(entriesOf(ctx), agent.id);
  const fields = [agent, agent.info, agent.pid, agent.registeredTime, agent.reregisteredTime, agent.total, agent.state, agent.deactivated, agent.version, agent.capabilities, agent.drain?.state];
  if (e.running.settle(pass)) e.dirty = true;
  if (e.offers.settle(pass)) e.dirty = true;
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
  for (const t of fw.tasks.values()) if (!t.released && !isTerminalState(t.state)) e.running.see(pass, t.info.resources);
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
