/**
 * Login rate limiting: failed attempts are counted per uid and per client address in a sliding
 * window; past the limit, logins are refused (429) until the oldest failure leaves the window.
 * Pure bookkeeping over explicit `now` values (ms), so it is testable without timers.
 */
export interface LoginLimits {
  maxFailuresPerUid: number;
  maxFailuresPerClient: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { maxFailuresPerUid: 5, maxFailuresPerClient: 20, windowMs: 5 * 60_000 };

export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS) {}

  /** Milliseconds until a login for (uid, client) may be tried again; 0 when it may now. */
  retryAfterMs(uid: string | undefined, client: string, now: number): number {
    const wait = (key: string, max: number) => {
      const list = this.recent(key, now);
      return list.length >= max ? list[list.length - max]! + this.limits.windowMs - now : 0;
    };
    return Math.max(uid === undefined ? 0 : wait(`uid:${uid}`, this.limits.maxFailuresPerUid), wait(`client:${client}`, this.limits.maxFailuresPerClient));
  }

  fail(uid: string | undefined, client: string, now: number): void {
    for (const key of [...(uid === undefined ? [] : [`uid:${uid}`]), `client:${client}`]) this.failures.set(key, [...this.recent(key, now), now]);
  }

  /** A successful login clears the uid's failures (the address keeps its count). */
  succeed(uid: string): void {
    this.failures.delete(`uid:${uid}`);
  }

  private recent(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => t > now - this.limits.windowMs);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }
}
