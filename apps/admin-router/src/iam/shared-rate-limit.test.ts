import { describe, expect, it } from "vitest";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { silentLogger } from "@caravel/runtime";
import { createDirStore } from "../store/store.js";
import { LoginLimiter } from "./rate-limit.js";
import { StoreLoginLimiter } from "./shared-rate-limit.js";

const limits = { maxFailuresPerUid: 3, maxFailuresPerClient: 5, windowMs: 60_000 };

describe("login limits shared through the Store", () => {
  it("two routers on one Store count an address's and a uid's failures together", async () => {
    const store = await createDirStore(await mkdtemp(join(tmpdir(), "caravel-limits-")));
    const a = new StoreLoginLimiter(store, silentLogger(), limits);
    const b = new StoreLoginLimiter(store, silentLogger(), limits);
    const t = 1_000_000;
    await a.fail("victim", "10.0.0.9", t);
    await b.fail("victim", "10.0.0.9", t + 1);
    expect(await a.retryAfterMs("victim", "10.0.0.9", t + 2)).toBe(0);
    await a.fail("victim", "10.0.0.9", t + 2);
    // The third failure happened at router A; router B refuses the fourth try.
    expect(await b.retryAfterMs("victim", "10.0.0.9", t + 3)).toBe(limits.windowMs - 3);
    expect(await b.retryAfterMs("someone-else", "10.0.0.8", t + 3)).toBe(0);
    // Per address, across uids and routers.
    await b.fail("x", "10.0.0.9", t + 4);
    await a.fail("y", "10.0.0.9", t + 5);
    expect(await b.retryAfterMs("z", "10.0.0.9", t + 6)).toBeGreaterThan(0);
    // Out of the window, allowed again; success clears the uid (not the address).
    expect(await a.retryAfterMs("victim", "10.0.0.7", t + limits.windowMs + 3)).toBe(0);
    await b.succeed("victim");
    expect(await a.retryAfterMs("victim", "10.0.0.7", t + 10)).toBe(0);
  });

  it("concurrent failures at several routers are all counted (compare-and-set)", async () => {
    const store = await createDirStore(await mkdtemp(join(tmpdir(), "caravel-limits-")));
    const routers = [0, 1, 2].map(() => new StoreLoginLimiter(store, silentLogger(), { ...limits, maxFailuresPerClient: 100 }));
    await Promise.all(routers.flatMap((r, i) => [0, 1, 2].map((j) => r.fail(undefined, "10.1.1.1", 5_000 + i * 3 + j))));
    const node = await store.getJson<{ times: number[] }>((await store.children("/admin-router/login-failures")).map((n) => `/admin-router/login-failures/${n}`)[0]!);
    expect(node?.value.times.length).toBe(9);
  });

  it("decides like the in-process limiter (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom("u1", "u2"), fc.constantFrom("c1", "c2"), fc.integer({ min: 0, max: 120_000 })), { maxLength: 12 }), async (events) => {
        const store = await createDirStore(await mkdtemp(join(tmpdir(), "caravel-limits-")));
        const shared = new StoreLoginLimiter(store, silentLogger(), limits);
        const local = new LoginLimiter(limits);
        let now = 0;
        for (const [uid, client, step] of events) {
          now += step;
          expect(await shared.retryAfterMs(uid, client, now)).toBe(local.retryAfterMs(uid, client, now));
          await shared.fail(uid, client, now);
          local.fail(uid, client, now);
        }
      }),
      { numRuns: 15 },
    );
  });
});
