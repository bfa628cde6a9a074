/**
 * Quota for one allocation cycle (mesos-core.md §6.3), as plain vector arithmetic.
 *
 * Consumed quota of a role = unreserved scalars allocated to it and its subroles + everything
 * reserved to them (allocated or not). Limits cap the unreserved scalars a role may be offered.
 * Guarantees are protected through headroom: the unallocated unreserved resources must stay at
 * least Σ(guarantee − consumed) over all roles, so a role may only take
 * `availableHeadroom − requiredHeadroom + its own unsatisfied guarantee`.
 */
import { isSubroleOf } from "./bag.js";
import type { QuotaSpec } from "./types.js";

/** A quota with resource names resolved to name ids. */
export interface ResolvedQuota {
  readonly role: string;
  readonly spec: QuotaSpec;
  readonly guarantees: ReadonlyMap<number, number>;
  readonly limits: ReadonlyMap<number, number>;
}

export class QuotaCycle {
  /** consumed[role] by name id. */
  readonly consumed = new Map<string, number[]>();
  /** Unallocated, unreserved, non-revocable scalars. */
  readonly availableHeadroom: number[];
  requiredHeadroom: number[] = [];

  constructor(
    readonly quotas: ReadonlyMap<string, ResolvedQuota>,
    consumedOf: (role: string) => number[],
    availableHeadroom: number[],
  ) {
    for (const role of quotas.keys()) this.consumed.set(role, consumedOf(role));
    this.availableHeadroom = availableHeadroom;
    this.recomputeRequired();
  }

  /** Roles whose guarantee is not yet met. */
  unsatisfiedRoles(): Set<string> {
    const out = new Set<string>();
    for (const q of this.quotas.values()) if (this.unsatisfied(q.role).size > 0) out.add(q.role);
    return out;
  }

  /** Whether `role` (or an ancestor with quota) still has an unmet guarantee. */
  hasUnsatisfiedGuarantee(role: string): boolean {
    return this.ownUnsatisfied(role).size > 0;
  }

  /**
   * Per-name caps on the unreserved scalars that may be offered to `role` now (names without a cap
   * are unlimited): the tightest remaining limit of the role and its quota'd ancestors, and the
   * headroom surplus plus the role's own unmet guarantee.
   */
  capsFor(role: string): Map<number, number> {
    const caps = new Map<number, number>();
    const tighten = (id: number, v: number) => caps.set(id, Math.max(0, Math.min(v, caps.get(id) ?? Infinity)));
    for (const q of this.quotas.values()) {
      if (!isSubroleOf(role, q.role)) continue;
      const consumed = this.consumed.get(q.role)!;
      for (const [id, limit] of q.limits) tighten(id, limit - (consumed[id] ?? 0));
    }
    const own = this.ownUnsatisfied(role);
    for (let id = 0; id < this.requiredHeadroom.length; id++) {
      const required = this.requiredHeadroom[id] ?? 0;
      if (required <= 0) continue;
      tighten(id, (this.availableHeadroom[id] ?? 0) - required + (own.get(id) ?? 0));
    }
    return caps;
  }

  /** Records unreserved scalars just allocated to `role`. */
  consume(role: string, unreserved: readonly (number | undefined)[]): void {
    for (const [quotaRole, consumed] of this.consumed) {
      if (!isSubroleOf(role, quotaRole)) continue;
      for (let id = 0; id < unreserved.length; id++) consumed[id] = (consumed[id] ?? 0) + (unreserved[id] ?? 0);
    }
    for (let id = 0; id < unreserved.length; id++) this.availableHeadroom[id] = (this.availableHeadroom[id] ?? 0) - (unreserved[id] ?? 0);
    this.recomputeRequired();
  }

  /** The largest unmet guarantee per name among the role's quota'd ancestors (and itself). */
  ownUnsatisfied(role: string): Map<number, number> {
    const out = new Map<number, number>();
    for (const q of this.quotas.values()) {
      if (!isSubroleOf(role, q.role)) continue;
      for (const [id, v] of this.unsatisfied(q.role)) out.set(id, Math.max(v, out.get(id) ?? 0));
    }
    return out;
  }

  private unsatisfied(quotaRole: string): Map<number, number> {
    const q = this.quotas.get(quotaRole)!;
    const consumed = this.consumed.get(quotaRole)!;
    const out = new Map<number, number>();
    for (const [id, g] of q.guarantees) {
      const gap = g - (consumed[id] ?? 0);
      if (gap > 1e-9) out.set(id, gap);
    }
    return out;
  }

  private recomputeRequired(): void {
    const required: number[] = [];
    for (const role of this.quotas.keys()) for (const [id, gap] of this.unsatisfied(role)) required[id] = (required[id] ?? 0) + gap;
    this.requiredHeadroom = required;
  }
}
