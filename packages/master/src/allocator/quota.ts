/**
 * Quota for one allocation cycle (mesos-core.md §6.3), as plain vector arithmetic.
 *
 * Consumed quota of a role = unreserved scalars allocated to it and its subroles + everything
 * reserved to them (allocated or not). Limits cap the unreserved scalars a role may be offered.
 * Guarantees are protected through headroom: the unallocated unreserved resources must stay at
 * least Σ(guarantee − consumed) over all roles, so a role may only take
 * `availableHeadroom − requiredHeadroom + its own unsatisfied guarantee`.
 *
 * A cycle asks about every role on every agent, so each role's quota'd ancestors are resolved once
 * per cycle and the required headroom is kept up to date incrementally.
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

interface QuotaState {
  readonly quota: ResolvedQuota;
  readonly consumed: number[];
  /** Whether some guarantee is still unmet. */
  open: boolean;
}

export class QuotaCycle {
  private readonly states = new Map<string, QuotaState>();
  /** Unallocated, unreserved, non-revocable scalars. */
  private readonly availableHeadroom: number[];
  /** Σ(guarantee − consumed)⁺ over all quota'd roles, by name id. */
  private readonly requiredHeadroom: number[] = [];
  private readonly ancestorsOf = new Map<string, QuotaState[]>();
  /** Quota'd roles with an unmet guarantee. */
  openCount = 0;

  constructor(quotas: ReadonlyMap<string, ResolvedQuota>, consumedOf: (role: string) => number[], availableHeadroom: number[]) {
    for (const [role, quota] of quotas) {
      const state = { quota, consumed: consumedOf(role), open: false };
      this.states.set(role, state);
      this.addRequired(state, 1);
    }
    this.availableHeadroom = availableHeadroom;
  }

  /** Roles whose guarantee is not yet met. */
  unsatisfiedRoles(): Set<string> {
    const out = new Set<string>();
    for (const [role, state] of this.states) if (state.open) out.add(role);
    return out;
  }

  /** Whether `role` (or an ancestor with quota) still has an unmet guarantee. */
  hasUnsatisfiedGuarantee(role: string): boolean {
    for (const s of this.ancestors(role)) if (s.open) return true;
    return false;
  }

  /** Whether a subtree may hold a role with an unmet guarantee (stage 1 skips the others). */
  mayServeGuarantee(path: string): boolean {
    for (const s of this.states.values()) if (s.open && (isSubroleOf(path, s.quota.role) || isSubroleOf(s.quota.role, path))) return true;
    return false;
  }

  /**
   * Per-name caps on the unreserved scalars that may be offered to `role` now (names without a cap
   * are unlimited): the tightest remaining limit of the role and its quota'd ancestors, and the
   * headroom surplus plus the role's own unmet guarantee.
   */
  capsFor(role: string): Map<number, number> {
    const caps = new Map<number, number>();
    const tighten = (id: number, v: number) => caps.set(id, Math.max(0, Math.min(v, caps.get(id) ?? Infinity)));
    for (const s of this.ancestors(role)) for (const [id, limit] of s.quota.limits) tighten(id, limit - (s.consumed[id] ?? 0));
    const own = this.ownUnsatisfied(role);
    for (let id = 0; id < this.requiredHeadroom.length; id++) {
      const required = this.requiredHeadroom[id] ?? 0;
      if (required <= 1e-9) continue;
      tighten(id, (this.availableHeadroom[id] ?? 0) - required + (own.get(id) ?? 0));
    }
    return caps;
  }

  /** Records unreserved scalars just allocated to `role`. */
  consume(role: string, unreserved: readonly (number | undefined)[]): void {
    for (const s of this.ancestors(role)) {
      this.addRequired(s, -1);
      for (let id = 0; id < unreserved.length; id++) s.consumed[id] = (s.consumed[id] ?? 0) + (unreserved[id] ?? 0);
      this.addRequired(s, 1);
    }
    for (let id = 0; id < unreserved.length; id++) this.availableHeadroom[id] = (this.availableHeadroom[id] ?? 0) - (unreserved[id] ?? 0);
  }

  /** The largest unmet guarantee per name among the role's quota'd ancestors (and itself). */
  ownUnsatisfied(role: string): Map<number, number> {
    const out = new Map<number, number>();
    for (const s of this.ancestors(role)) for (const [id, v] of this.gaps(s)) out.set(id, Math.max(v, out.get(id) ?? 0));
    return out;
  }

  private ancestors(role: string): QuotaState[] {
    let list = this.ancestorsOf.get(role);
    if (!list) {
      list = [...this.states.values()].filter((s) => isSubroleOf(role, s.quota.role));
      this.ancestorsOf.set(role, list);
    }
    return list;
  }

  private gaps(s: QuotaState): Map<number, number> {
    const out = new Map<number, number>();
    for (const [id, g] of s.quota.guarantees) {
      const gap = g - (s.consumed[id] ?? 0);
      if (gap > 1e-9) out.set(id, gap);
    }
    return out;
  }

  private addRequired(s: QuotaState, sign: 1 | -1): void {
    const gaps = this.gaps(s);
    for (const [id, gap] of gaps) this.requiredHeadroom[id] = (this.requiredHeadroom[id] ?? 0) + sign * gap;
    if (sign === 1) {
      const open = gaps.size > 0;
      if (open !== s.open) this.openCount += open ? 1 : -1;
      s.open = open;
    }
  }
}
