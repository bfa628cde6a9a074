/** Polling for tests: wait for a condition, never for a fixed time. */

/** Calls `fn` until it returns something truthy; throws naming `what` after `timeoutMs`. */
export async function eventually<T>(
  fn: () => T | Promise<T>,
  what: string,
  timeoutMs = 20_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `; last error: ${(lastError as Error).message}` : ""}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
