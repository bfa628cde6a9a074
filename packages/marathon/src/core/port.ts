/** What the core asks of the Mesos scheduler connection (implemented by scheduler/driver.ts). */
import type { Operation, TaskInfo } from "@caravel/api";

export interface SchedulerPort {
  /** True while subscribed to a master. */
  readonly connected: boolean;
  launch(offerIds: string[], tasks: TaskInfo[]): void;
  /** Accepts offers with any operations in order (RESERVE, CREATE, LAUNCH, DESTROY, UNRESERVE …). */
  accept(offerIds: string[], operations: Operation[]): void;
  decline(offerIds: string[], refuseSeconds: number): void;
  kill(taskId: string, agentId: string, gracePeriodSeconds?: number): void;
  acknowledge(agentId: string, taskId: string, uuid: string): void;
  /** Explicit reconciliation of the given tasks; an empty list asks for every task (implicit). */
  reconcile(tasks: { taskId: string; agentId: string }[]): void;
  revive(): void;
  suppress(): void;
}

/** A port that does nothing (before the first subscription, and in API-only tests). */
export const disconnectedPort: SchedulerPort = {
  connected: false,
  launch: () => undefined,
  accept: () => undefined,
  decline: () => undefined,
  kill: () => undefined,
  acknowledge: () => undefined,
  reconcile: () => undefined,
  revive: () => undefined,
  suppress: () => undefined,
};
