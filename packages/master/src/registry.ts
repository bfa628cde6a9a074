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
import { sameJson } from "./state/same-json.js";

/** The part of @caravel/coordination's Store the registry needs. */
export interface RegistryStore {
  getJson<T>(path: string): Promise<T | undefined>;
  putJson(path: string, value: unknown): Promise<unknown>;
  delete(path: string): Promise<unknown>;
  children(path: string): Promise<string[]>;
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

  constructor(private readonly store: RegistryStore) {}

  async load(): Promise<RegistrySnapshot> {
    this.records.clear();
    this.durable.clear();
    // Everything is asked for at once: a new leader admits no agent before this returns.
    const [buckets, legacyAgents, quotas, weights, maintenance] = await Promise.all([
      this.store.children(BUCKETS).then(
        (names) => Promise.all(names.map((n) => this.store.getJson<Record<string, RegisteredAgent>>(`${BUCKETS}/${n}`))),
        () => [],
      ),
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

/** A RegistryStore in memory, for tests and `--registry=in_memory`. */
export function memoryRegistryStore(): RegistryStore {
  const nodes = new Map<string, string>();
  return {
    getJson: async <T>(path: string) => {
      const text = nodes.get(path);
      return text === undefined ? undefined : (JSON.parse(text) as T);
    },
    putJson: async (path, value) => nodes.set(path, JSON.stringify(value)),
    delete: async (path) => nodes.delete(path),
    children: async (path) =>
      [...nodes.keys()].filter((k) => k.startsWith(`${path}/`) && !k.slice(path.length + 1).includes("/")).map((k) => k.slice(path.length + 1)),
  };
}
