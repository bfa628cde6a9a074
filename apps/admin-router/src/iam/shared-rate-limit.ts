/**
 * Login rate limits shared by every router process on one Store (`--zk` with several routers, or
 * `--workers`): the failure times of each uid and client address live in a Store node, updated by
 * compare-and-set, so that an attacker gets the same number of attempts whichever router answers.
 * Only the login path touches it (a login already costs an scrypt), never ordinary requests.
 */
import { createHash } from "node:crypto";
import { isCaravelError } from "@caravel/api";
import type { Logger } from "@caravel/runtime";
import type { RouterStore } from "../store/store.js";
import { DEFAULT_LOGIN_LIMITS, type LoginLimits } from "./rate-limit.js";

/** What the IAM service needs of a limiter; the in-process LoginLimiter fits it too. */
export interface LoginLimiterLike {
  retryAfterMs(uid: string | undefined, client: string, now: number): number | Promise<number>;
  fail(uid: string | undefined, client: string, now: number): void | Promise<void>;
  succeed(uid: string): void | Promise<void>;
}

const ROOT = "/admin-router/login-failures";
/** Store answers meaning another router changed the node between our read and write. */
const RACES = new Set(["STORE_VERSION_MISMATCH", "STORE_NODE_EXISTS", "STORE_NO_NODE"]);

/** Pure: failures still inside the window. */
export const recentFailures = (times: readonly number[], now: number, windowMs: number): number[] => times.filter((t) => t > now - windowMs && t <= now + windowMs);

/** Pure: how long until one more attempt is allowed, given the recent failures and the limit. */
export function waitMs(recent: readonly number[], max: number, windowMs: number, now: number): number {
  if (recent.length < max) return 0;
  const sorted = [...recent].sort((a, b) => a - b);
  return Math.max(0, sorted[sorted.length - max]! + windowMs - now);
}

export class StoreLoginLimiter implements LoginLimiterLike {
  constructor(
    private readonly store: RouterStore,
    private readonly log: Logger,
    private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  ) {}

  async retryAfterMs(uid: string | undefined, client: string, now: number): Promise<number> {
    const [byUid, byClient] = await Promise.all([uid === undefined ? [] : this.read(`uid:${uid}`), this.read(`client:${client}`)]);
    const { windowMs } = this.limits;
    return Math.max(waitMs(recentFailures(byUid, now, windowMs), this.limits.maxFailuresPerUid, windowMs, now), waitMs(recentFailures(byClient, now, windowMs), this.limits.maxFailuresPerClient, windowMs, now));
  }

  async fail(uid: string | undefined, client: string, now: number): Promise<void> {
    const keep = Math.max(this.limits.maxFailuresPerUid, this.limits.maxFailuresPerClient);
    await Promise.all([...(uid === undefined ? [] : [`uid:${uid}`]), `client:${client}`].map((key) => this.update(key, (times) => [...recentFailures(times, now, this.limits.windowMs), now].slice(-keep))));
  }

  /** A successful login clears the uid's failures (the address keeps its count). */
  async succeed(uid: string): Promise<void> {
    await this.update(`uid:${uid}`, () => []);
  }

  private path(key: string): string {
    // Hashed: uids and IPv6 addresses hold characters that do not belong in node names.
    return `${ROOT}/${createHash("sha256").update(key).digest("hex").slice(0, 32)}`;
  }

  private async read(key: string): Promise<number[]> {
    try {
      return (await this.store.getJson<{ times: number[] }>(this.path(key)))?.value.times ?? [];
    } catch (error) {
      // Fail open on the count, not on the password: the credentials are still checked.
      this.log.warn({ err: error }, "cannot read shared login failures; counting from zero");
      return [];
    }
  }

  private async update(key: string, change: (times: number[]) => number[]): Promise<void> {
    const path = this.path(key);
    for (let attempt = 0; attempt < 32; attempt++) {
      try {
        const node = await this.store.getJson<{ times: number[] }>(path);
        const next = change(node?.value.times ?? []);
        if (!node && next.length === 0) return;
        await this.store.putJson(path, { times: next }, { expectedVersion: node?.version ?? -1 });
        return;
      } catch (error) {
        if (isCaravelError(error) && RACES.has(error.code)) continue; // another router wrote first
        this.log.warn({ err: error }, "cannot record a login failure in the store");
        return;
      }
    }
  }
}
