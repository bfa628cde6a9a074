/**
 * Offer statistics per app for `/v2/queue`'s processedOffersSummary: how many offers were processed
 * and why they were not used, in Marathon's reason names and funnel order.
 */
import { REJECT_REASONS, type PlacementFilter, type RejectReason } from "@caravel/api";

const REASON_OF: Partial<Record<PlacementFilter, RejectReason>> = {
  role: "UnfulfilledRole",
  constraint: "UnfulfilledConstraint",
  maintenance: "AgentMaintenance",
  cpus: "InsufficientCpus",
  mem: "InsufficientMemory",
  disk: "InsufficientDisk",
  gpus: "InsufficientGpus",
  ports: "InsufficientPorts",
};

export class QueueStats {
  processed = 0;
  unused = 0;
  lastUnusedAt?: number;
  lastUsedAt?: number;
  private readonly sinceAttempt = new Map<RejectReason, number>();
  /** The newest result per agent: reason or undefined (used). */
  private readonly lastPerAgent = new Map<string, RejectReason | undefined>();

  constructor(readonly since: number) {}

  record(agentId: string, now: number, rejectedBy: PlacementFilter | undefined): void {
    this.processed++;
    const reason = rejectedBy ? REASON_OF[rejectedBy] : undefined;
    if (rejectedBy) {
      this.unused++;
      this.lastUnusedAt = now;
      if (reason) this.sinceAttempt.set(reason, (this.sinceAttempt.get(reason) ?? 0) + 1);
    } else this.lastUsedAt = now;
    this.lastPerAgent.set(agentId, reason);
  }

  /** Marathon's funnel: each row's processed is the previous row's processed minus its declined. */
  private funnel(counts: Map<RejectReason, number>, total: number) {
    let processed = total;
    return REJECT_REASONS.map((reason) => {
      const declined = counts.get(reason) ?? 0;
      const row = { reason, declined, processed };
      processed -= declined;
      return row;
    });
  }

  summary(): Record<string, unknown> {
    const last = new Map<RejectReason, number>();
    for (const r of this.lastPerAgent.values()) if (r) last.set(r, (last.get(r) ?? 0) + 1);
    return {
      processedOffersCount: this.processed,
      unusedOffersCount: this.unused,
      ...(this.lastUnusedAt !== undefined ? { lastUnusedOfferAt: new Date(this.lastUnusedAt).toISOString() } : {}),
      ...(this.lastUsedAt !== undefined ? { lastUsedOfferAt: new Date(this.lastUsedAt).toISOString() } : {}),
      rejectSummaryLastOffers: this.funnel(last, this.lastPerAgent.size),
      rejectSummaryLaunchAttempt: this.funnel(this.sinceAttempt, this.processed),
    };
  }
}
