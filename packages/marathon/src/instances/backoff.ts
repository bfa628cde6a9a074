/**
 * Launch backoff per app: after each failed (or finished) task the next launch waits
 * `backoffSeconds × backoffFactor^k` seconds, capped at `maxLaunchDelaySeconds`. A new app version,
 * `DELETE /v2/queue/{id}/delay`, or a healthy run longer than the current delay resets it.
 */
import type { AppDefinition } from "@caravel/api";

export interface Backoff {
  /** Consecutive failures counted so far. */
  failures: number;
  /** No launch before this time (ms since epoch). */
  delayUntil: number;
  /** The delay applied after the last failure (ms). */
  delayMs: number;
  lastFailureAt: number;
}

type BackoffSpec = Pick<AppDefinition, "backoffSeconds" | "backoffFactor" | "maxLaunchDelaySeconds">;

/** The delay (ms) after the `failures`-th consecutive failure (1-based). */
export function delayFor(spec: BackoffSpec, failures: number): number {
  if (failures <= 0) return 0;
  const seconds = spec.backoffSeconds * Math.pow(spec.backoffFactor, failures - 1);
  return Math.round(Math.min(seconds, spec.maxLaunchDelaySeconds) * 1000);
}

/** The state after one more failure at `now`. */
export function recordFailure(previous: Backoff | undefined, spec: BackoffSpec, now: number): Backoff {
  const failures = (previous?.failures ?? 0) + 1;
  const delayMs = delayFor(spec, failures);
  return { failures, delayMs, delayUntil: now + delayMs, lastFailureAt: now };
}

/** Whether a run that became healthy at `now` resets the backoff: it outlived the current delay. */
export const healthyRunResets = (backoff: Backoff | undefined, now: number): boolean =>
  backoff !== undefined && now - backoff.lastFailureAt >= backoff.delayMs;
