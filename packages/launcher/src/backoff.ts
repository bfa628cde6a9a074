/** When to restart a crashed process: exponential backoff, forgiven after a healthy minute. Pure. */

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** A process that stayed up this long before crashing starts again from `initialMs`. */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000 };

export interface RestartDecision {
  /** Wait this long before starting again. */
  delayMs: number;
  /** Consecutive quick crashes, including this one. */
  failures: number;
}

/**
 * Decides the restart after a crash. `failures` counts the crashes since the last healthy minute;
 * `upForMs` is how long the process had been healthy before this crash (0 if it never was).
 */
export function nextRestart(failures: number, upForMs: number, policy: BackoffPolicy = DEFAULT_BACKOFF): RestartDecision {
  const previous = upForMs >= policy.resetAfterMs ? 0 : failures;
  const delayMs = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(previous, 30));
  return { delayMs, failures: previous + 1 };
}
