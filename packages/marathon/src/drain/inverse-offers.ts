/**
 * Drain without downtime, Marathon's side of the inverse-offer handshake. When the master announces
 * that an agent is going away (INVERSE_OFFERS), Marathon stops placing there and the controller
 * (deploy/control.ts `replaceDrained`) starts replacements elsewhere first and kills the drained
 * instances only as capacity allows. The inverse offer is accepted — telling the master it may go
 * ahead and kill what is left — only once none of Marathon's instances there is still wanted.
 */
import { isActive, type Instance } from "../instances/instance.js";

/**
 * True when Marathon no longer needs anything on `agentId`: every instance there is terminal or
 * already being killed by Marathon itself (its replacement runs, or capacity allowed the kill).
 */
export function readyToRelease(agentId: string, instances: Iterable<Instance>): boolean {
  for (const i of instances) if (i.agentId === agentId && isActive(i) && i.goal === "running") return false;
  return true;
}

/** Inverse offers received and not yet answered, by agent. */
export class PendingInverseOffers {
  private readonly byAgent = new Map<string, Set<string>>();

  add(agentId: string, inverseOfferId: string): void {
    (this.byAgent.get(agentId) ?? this.byAgent.set(agentId, new Set()).get(agentId)!).add(inverseOfferId);
  }

  get agents(): string[] {
    return [...this.byAgent.keys()];
  }

  get size(): number {
    return this.byAgent.size;
  }

  /** Removes and returns the inverse offers of agents Marathon is done with. */
  takeReady(instances: () => Iterable<Instance>): string[] {
    const out: string[] = [];
    for (const [agentId, ids] of this.byAgent) {
      if (!readyToRelease(agentId, instances())) continue;
      out.push(...ids);
      this.byAgent.delete(agentId);
    }
    return out;
  }

  /** Forgets an inverse offer the master rescinded (the drain was called off). */
  rescind(inverseOfferId: string): void {
    for (const [agentId, ids] of this.byAgent) if (ids.delete(inverseOfferId) && ids.size === 0) this.byAgent.delete(agentId);
  }

  /** Keeps only agents the master still reports as draining (a reactivated agent's offer is moot). */
  retain(draining: ReadonlySet<string>): void {
    for (const agentId of [...this.byAgent.keys()]) if (!draining.has(agentId)) this.byAgent.delete(agentId);
  }

  /** Forgets everything (a new subscription: the master re-sends what still stands). */
  clear(): void {
    this.byAgent.clear();
  }
}
