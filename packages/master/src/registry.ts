/**
 * The durable registry (mesos-core.md §7.3): admitted, unreachable and gone agents, maintenance,
 * quota and weights. Every transition is written to the Store before the master acts on it, so that a
 * restarted or newly elected master recovers it.
 *
 * Agents live in AGENT_BUCKETS nodes (`/registry/agent-buckets/<n>`, an object of id → record each),
 * an agent's bucket chosen by a hash of its id. Mesos keeps its whole registry in one replicated-log
 * entry; one node per agent (the first layout) made a new leader read 10,000 nodes before it could
 * admit anyone, which at that size stalled its event loop past a 3 s ZooKeeper session. Buckets keep
 * recovery to a few dozen reads and writes bounded (≈ 40 KB per bucket at 10,000 agents, well under a
 * node's 1 MB), and changes to one bucket made while its write is in flight leave together in the next
 * write (group commit: a burst of registrations costs one write per bucket, not one per agent).
 */
import { fnv1a32, type AgentInfo, type MaintenanceSchedule, type QuotaConfig } from "@caravel/api";
import { BucketReadAhead, canWatch, type BucketContent } from "./read-ahead.js";
import { sameJson } from "./state/same-json.js";

/** The part of @caravel/coordination's Store the registry needs. */
export interface RegistryStore {
  getJson<T>(path: string): Promise<T | undefined>;
  putJson(path: string, value: unknown): Promise<unknown>;
  delete(path: string): Promise<unknown>;
  children(path: string): Promise<string[]>;
  /** Calls `listener` whenever the node is created, changed or deleted; resolves once armed. */
  watch?(path: string, listener: () => void): Promise<() => void>;
  /** Calls `listener` with the children once armed, then whenever the set changes; resolves once armed. */
  watchChildren?(path: string, listener: (children: string[]) => void): Promise<() => void>;
  /** Calls `listener` when the store's session is lost (events may have been missed). */
  onSessionLost?(listener: (reason: string) => void): () => void;
}

export type RegisteredAgentState = "ADMITTED" | "UNREACHABLE" | "GONE";

export interface RegisteredAgent {
  id: string;
  info: AgentInfo;
  state: RegisteredAgentState;
  /** When it became unreachable or gone (ms). */
  since?: number;
  deactivated?: boolean;
  drain?: { maxGracePeriodSeconds?: number; markGone: boolean };
}

export interface RegistrySnapshot {
  agents: RegisteredAgent[];
  quotas: QuotaConfig[];
  weights: Record<string, number>;
  maintenance: MaintenanceSchedule;
}

const ROOT = "/registry";
/** The first layout, one node per agent: still read, and moved into buckets by the next leader. */
const LEGACY_AGENTS = `${ROOT}/agents`;
const BUCKETS = `${ROOT}/agent-buckets`;
/** Fixed forever: a record's bucket must not move between versions. */
export const AGENT_BUCKETS = 64;
/** How often a standby reads again the buckets written since it read them. */
const STANDBY_REFRESH_MS = 30_000;

/** The bucket of an agent id (FNV-1a, so that ids spread evenly whatever their shape). */
export function agentBucket(id: string): number {
  return fnv1a32(id) % AGENT_BUCKETS;
}

interface Bucket {
  /** A write of this bucket is scheduled or in flight. */
  writing: boolean;
  /** Changes waiting for the next write, with whoever awaits them. */
  waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }>;
  dirty: boolean;
  /** Agents removed since the last write. */
  removed: Set<string>;
}

export class Registry {
  /** Every agent's current record by bucket (including changes still being written). */
  private readonly records = new Map<number, Map<string, RegisteredAgent>>();
  /**
   * What the store holds for each agent: the JSON this master wrote, or the record as loaded. After a
   * failover every agent re-registers with the record the registry already holds; like Mesos'
   * registrar (which has no operation for a re-registration that changes nothing), an unchanged
   * record is not written again. Loaded records are compared as values (they are the registry's own,
   * and 10,000 of them serialized at recovery sat on the new leader's critical path).
   */
  private readonly durable = new Map<string, string | RegisteredAgent>();
  private readonly buckets = new Map<number, Bucket>();
  /** The buckets read ahead while standing by, until `load()` takes them. */
  private readAhead: BucketReadAhead | undefined;
  private standingBy: Promise<boolean> | undefined;
  private loaded = false;
  /** What the last `load()` found: bucket nodes in all, and how many it read (the others were read ahead). */
  lastLoad: { buckets: number; read: number } | undefined;

  constructor(private readonly store: RegistryStore) {}

  /**
   * Reads the agent buckets ahead while this master is not leading and tracks which change, so that
   * `load()` once elected reads only those (read-ahead.ts). Resolves with false when the store cannot
   * watch (`load()` then reads everything), with true once every bucket has been read once; rejects
   * when the buckets cannot be watched (`load()` then reads everything too).
   */
  standBy(options: { refreshMs?: number } = {}): Promise<boolean> {
    if (this.standingBy) return this.standingBy;
    if (this.loaded || !canWatch(this.store)) return Promise.resolve(false);
    const readAhead = new BucketReadAhead(this.store, BUCKETS);
    this.readAhead = readAhead;
    this.standingBy = readAhead.start(options.refreshMs ?? STANDBY_REFRESH_MS).then(
      () => true,
      (error: unknown) => {
        readAhead.stop();
        throw error;
      },
    );
    return this.standingBy;
  }

  /** Stops reading ahead (a follower shutting down); `load()` then reads everything. */
  stopStandingBy(): void {
    this.readAhead?.stop();
    this.readAhead = undefined;
  }

  async load(): Promise<RegistrySnapshot> {
    this.loaded = true;
    const readAhead = this.readAhead;
    this.readAhead = undefined;
    this.records.clear();
    this.durable.clear();
    // Everything is asked for at once: a new leader admits no agent before this returns.
    const [buckets, legacyAgents, quotas, weights, maintenance] = await Promise.all([
      this.loadBuckets(readAhead),
      this.loadLegacy(),
      this.store.getJson<QuotaConfig[]>(`${ROOT}/quotas`),
      this.store.getJson<Record<string, number>>(`${ROOT}/weights`),
      this.store.getJson<MaintenanceSchedule>(`${ROOT}/maintenance`),
    ]);
    const agents: RegisteredAgent[] = [];
    for (const bucket of buckets) {
      for (const agent of Object.values(bucket ?? {})) {
        this.bucketOf(agent.id).set(agent.id, agent);
        this.durable.set(agent.id, agent);
        agents.push(agent);
      }
    }
    // A bucket record is newer than a legacy one (legacy nodes are deleted once moved).
    const legacy = legacyAgents.filter((a) => !this.durable.has(a.id));
    if (legacy.length > 0) await this.migrate(legacy);
    return { agents: [...agents, ...legacy], quotas: quotas ?? [], weights: weights ?? {}, maintenance: maintenance ?? { windows: [] } };
  }

  /** Every bucket node's content, in the order listed; those read ahead and unchanged since are not read again. */
  private async loadBuckets(readAhead: BucketReadAhead | undefined): Promise<BucketContent[]> {
    let names: string[];
    try {
      names = await this.store.children(BUCKETS);
    } catch {
      readAhead?.stop();
      return [];
    }
    // Taken only now: this listing is what orders the election before the standby's stale marks.
    const ahead = readAhead?.take(names);
    let read = 0;
    const contents = await Promise.all(
      names.map(async (name, i) => {
        const kept = await ahead?.[i];
        if (kept) return kept.content;
        read += 1;
        return this.store.getJson<Record<string, RegisteredAgent>>(`${BUCKETS}/${name}`);
      }),
    );
    this.lastLoad = { buckets: names.length, read };
    return contents;
  }

  /** Agents written in the one-node-per-agent layout (a registry from before the buckets). */
  private async loadLegacy(): Promise<RegisteredAgent[]> {
    const ids = await this.store.children(LEGACY_AGENTS).catch(() => [] as string[]);
    return (await Promise.all(ids.map((id) => this.store.getJson<RegisteredAgent>(`${LEGACY_AGENTS}/${id}`)))).filter(
      (a): a is RegisteredAgent => a !== undefined,
    );
  }

  /** Moves legacy records into their buckets, then deletes the legacy nodes. */
  private async migrate(legacy: RegisteredAgent[]): Promise<void> {
    await Promise.all(legacy.map((a) => this.putAgent(a)));
    await Promise.all(legacy.map((a) => this.store.delete(`${LEGACY_AGENTS}/${a.id}`).catch(() => undefined)));
  }

  /** Stores an agent's record, unless the registry already holds exactly this one. */
  putAgent(agent: RegisteredAgent): Promise<void> {
    const index = agentBucket(agent.id);
    const records = this.bucketOf(agent.id, index);
    records.set(agent.id, agent);
    const bucket = this.buckets.get(index);
    // Nothing to write when the store holds exactly this record and no write of the bucket is pending
    // (a write in flight or waiting may carry an older version of it).
    if (!bucket?.writing && this.holds(agent)) return Promise.resolve();
    return this.change(index);
  }

  /** Whether the store holds exactly this record. */
  private holds(agent: RegisteredAgent): boolean {
    const stored = this.durable.get(agent.id);
    if (stored === undefined) return false;
    return typeof stored === "string" ? stored === JSON.stringify(agent) : sameJson(stored, agent);
  }

  /** The record last stored for an agent (as loaded or written by this master). */
  agent(id: string): RegisteredAgent | undefined {
    return this.records.get(agentBucket(id))?.get(id);
  }

  removeAgent(id: string): Promise<unknown> {
    const index = agentBucket(id);
    if (!this.records.get(index)?.delete(id) && !this.durable.has(id)) return Promise.resolve();
    const done = this.change(index);
    this.buckets.get(index)!.removed.add(id);
    return done.catch(() => undefined);
  }

  private bucketOf(id: string, index = agentBucket(id)): Map<string, RegisteredAgent> {
    let records = this.records.get(index);
    if (!records) this.records.set(index, (records = new Map()));
    return records;
  }

  /** Marks a bucket changed; resolves once a write holding the change has landed. */
  private change(index: number): Promise<void> {
    let bucket = this.buckets.get(index);
    if (!bucket) this.buckets.set(index, (bucket = { writing: false, waiters: [], dirty: false, removed: new Set() }));
    const b = bucket;
    b.dirty = true;
    const done = new Promise<void>((resolve, reject) => b.waiters.push({ resolve, reject }));
    if (!b.writing) {
      b.writing = true;
      // Changes made before the next turn (a burst of SUBSCRIBEs read together) join this write.
      setImmediate(() => void this.flush(index, b));
    }
    return done;
  }

  /** Writes a bucket until no change is left; one write per bucket is in flight at a time. */
  private async flush(index: number, bucket: Bucket): Promise<void> {
    while (bucket.dirty) {
      bucket.dirty = false;
      const waiters = bucket.waiters.splice(0);
      const removed = [...bucket.removed];
      bucket.removed.clear();
      const records = this.records.get(index) ?? new Map<string, RegisteredAgent>();
      const content = Object.fromEntries(records);
      const written = new Map([...records].map(([id, record]) => [id, JSON.stringify(record)]));
      try {
        await this.store.putJson(`${BUCKETS}/${index}`, content);
        for (const id of removed) if (!written.has(id)) this.durable.delete(id);
        for (const [id, json] of written) this.durable.set(id, json);
        for (const w of waiters) w.resolve();
      } catch (error) {
        // What the store holds is unknown now: the next change to these agents writes again.
        for (const id of written.keys()) this.durable.delete(id);
        for (const id of removed) bucket.removed.add(id);
        for (const w of waiters) w.reject(error);
      }
    }
    bucket.writing = false;
  }

  putQuotas(quotas: QuotaConfig[]): Promise<unknown> {
    return this.store.putJson(`${ROOT}/quotas`, quotas);
  }

  putWeights(weights: Record<string, number>): Promise<unknown> {
    return this.store.putJson(`${ROOT}/weights`, weights);
  }

  putMaintenance(schedule: MaintenanceSchedule): Promise<unknown> {
    return this.store.putJson(`${ROOT}/maintenance`, schedule);
  }
}

/** A RegistryStore in memory, for tests and `--registry=in_memory`; its watches fire as it changes. */
export function memoryRegistryStore(): RegistryStore {
  const nodes = new Map<string, string>();
  const nodeWatches = new Map<string, Set<() => void>>();
  const childWatches = new Map<string, Set<(children: string[]) => void>>();
  const children = (path: string) =>
    [...nodes.keys()].filter((k) => k.startsWith(`${path}/`) && !k.slice(path.length + 1).includes("/")).map((k) => k.slice(path.length + 1));
  const subscribe = <L>(watches: Map<string, Set<L>>, path: string, listener: L) => {
    const listeners = watches.get(path) ?? new Set<L>();
    watches.set(path, listeners.add(listener));
    return () => void listeners.delete(listener);
  };
  const changed = (path: string, setChanged: boolean) => {
    for (const listener of [...(nodeWatches.get(path) ?? [])]) listener();
    if (!setChanged) return;
    const parent = path.slice(0, path.lastIndexOf("/"));
    for (const listener of [...(childWatches.get(parent) ?? [])]) listener(children(parent));
  };
  return {
    getJson: async <T>(path: string) => {
      const text = nodes.get(path);
      return text === undefined ? undefined : (JSON.parse(text) as T);
    },
    putJson: async (path, value) => {
      const created = !nodes.has(path);
      nodes.set(path, JSON.stringify(value));
      changed(path, created);
    },
    delete: async (path) => {
      const existed = nodes.delete(path);
      if (existed) changed(path, true);
      return existed;
    },
    children: async (path) => children(path),
    watch: async (path, listener) => subscribe(nodeWatches, path, listener),
    watchChildren: async (path, listener) => {
      const unsubscribe = subscribe(childWatches, path, listener);
      listener(children(path));
      return unsubscribe;
    },
  };
}
