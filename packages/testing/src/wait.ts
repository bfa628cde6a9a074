/** Polling helpers: tests wait for conditions, never for fixed amounts of time. */

export interface WaitOptions {
  /** Give up after this long (generous by default: the test machine is a loaded 2-core box). */
  timeoutMs?: number;
  /** Pause between attempts. */
  intervalMs?: number;
  /** Says what was awaited, for the timeout error (a function is called only on timeout). */
  message?: string | (() => string);
}

/** Thrown by a predicate to stop waiting at once (e.g. the process it waits on has died). */
export class StopWaiting extends Error {
  override readonly name = "StopWaiting";
}

/** Resolves after `ms` milliseconds. For pacing polls only; never as a stand-in for a condition. */
export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `fn` until it returns a truthy value (which is returned) or the timeout passes. Errors thrown
 * by `fn` count as "not yet" and are kept, so the timeout message can show the last one.
 */
export async function waitFor<T>(fn: () => T | Promise<T>, options: WaitOptions = {}): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 50;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  let lastError: unknown;
  for (;;) {
    try {
      last = await fn();
      lastError = undefined;
      if (last) return last as NonNullable<T>;
    } catch (error) {
      if (error instanceof StopWaiting) throw error;
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await delay(intervalMs);
  }
  const what = typeof options.message === "function" ? options.message() : (options.message ?? "condition");
  const detail = lastError !== undefined ? `last error: ${(lastError as Error).message ?? String(lastError)}` : `last value: ${describe(last)}`;
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${detail}`);
}

function describe(value: unknown): string {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 500 ? `${text.slice(0, 500)}…` : text;
  } catch {
    return String(value);
  }
}
