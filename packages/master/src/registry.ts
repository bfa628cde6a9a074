/**
 * The durable registry (mesos-core.md §7.3): admitted, unreachable and gone agents, maintenance,
 * quota and weights. Every transition is written to the Store before the master acts on it, so that a
 * restarted or newly elected master recovers it. One node per agent keeps writes small; the embedded
 * store's group commit lets many registrations share one fsync.
 */
import type { AgentInfo, MaintenanceSchedule, QuotaConfig } from "@caravel/api";

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

export class Registry {
  /**
   * The JSON last stored for each agent. After a failover every agent re-registers with the record
   * the registry already holds; like Mesos' registrar (which has no operation for a re-registration
   * that changes nothing), an unchanged record is not written again — 10,000 agents would otherwise
   * mean 10,000 ZooKeeper writes on the new leader's critical path.
   */
  private readonly stored = new Map<string, string>();

  constructor(private readonly store: RegistryStore) {}

  async load(): Promise<RegistrySnapshot> {
    const ids = await this.store.children(`${ROOT}/agents`).catch(() => [] as string[]);
    const agents = (await Promise.all(ids.map((id) => this.store.getJson<RegisteredAgent>(`${ROOT}/agents/${id}`)))).filter(
      (a): a is RegisteredAgent => a !== undefined,
    );
    this.stored.clear();
    for (const agent of agents) this.stored.set(agent.id, JSON.stringify(agent));
    return {
      agents,
      quotas: (await this.store.getJson<QuotaConfig[]>(`${ROOT}/quotas`)) ?? [],
      weights: (await this.store.getJson<Record<string, number>>(`${ROOT}/weights`)) ?? {},
      maintenance: (await this.store.getJson<MaintenanceSchedule>(`${ROOT}/maintenance`)) ?? { windows: [] },
    };
  }

  /** Stores an agent's record, unless the registry already holds exactly this one. */
  async putAgent(agent: RegisteredAgent): Promise<void> {
    const json = JSON.stringify(agent);
    if (this.stored.get(agent.id) === json) return;
    // Forget the old record first: should the write fail, the next attempt must not be skipped.
    this.stored.delete(agent.id);
    await this.store.putJson(`${ROOT}/agents/${agent.id}`, agent);
    this.stored.set(agent.id, json);
  }

  /** The record last stored for an agent (as loaded or written by this master). */
  agent(id: string): RegisteredAgent | undefined {
    const json = this.stored.get(id);
    return json === undefined ? undefined : (JSON.parse(json) as RegisteredAgent);
  }

  removeAgent(id: string): Promise<unknown> {
    this.stored.delete(id);
    return this.store.delete(`${ROOT}/agents/${id}`).catch(() => undefined);
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
