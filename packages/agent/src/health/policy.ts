/**
 * Mesos' health check rules, as a pure step function: results during the grace period do not count
 * as failures until the first success; `consecutive_failures` failures in a row outside it kill the
 * task. Updates: every unhealthy result is reported, a healthy one only when it changes the picture.
 */
import type { HealthCheck } from "@caravel/api";

export interface HealthState {
  /** undefined until the first result that counts. */
  healthy?: boolean;
  consecutiveFailures: number;
  everSucceeded: boolean;
}

export interface HealthStep {
  state: HealthState;
  /** Send a TASK_RUNNING update with this `healthy` value. */
  report?: boolean;
  /** Kill the task (consecutive failures reached). */
  kill: boolean;
}

export const initialHealth = (): HealthState => ({ consecutiveFailures: 0, everSucceeded: false });

/**
 * @param sinceStartMs time since the task started, for the grace period.
 */
export function healthStep(check: Pick<HealthCheck, "consecutive_failures" | "grace_period_seconds">, state: HealthState, ok: boolean, sinceStartMs: number): HealthStep {
  if (ok) {
    const next: HealthState = { healthy: true, consecutiveFailures: 0, everSucceeded: true };
    const step: HealthStep = { state: next, kill: false };
    if (state.healthy !== true) step.report = true;
    return step;
  }
  const inGrace = !state.everSucceeded && sinceStartMs < check.grace_period_seconds * 1000;
  if (inGrace) return { state, kill: false };
  const failures = state.consecutiveFailures + 1;
  const next: HealthState = { healthy: false, consecutiveFailures: failures, everSucceeded: state.everSucceeded };
  const limit = check.consecutive_failures;
  return { state: next, report: false, kill: limit > 0 && failures >= limit };
}
