/** The shared master sync (packages/api) as caravel-dns drives it with a detector: a leader change re-opens the stream at once. */
import { describe, expect, it } from "vitest";
import { startMasterSync, type ClusterView } from "@caravel/api";
import { legacyState } from "../records/fixture.js";
import { until } from "../testing/dig.js";
import { startFakeMaster } from "../testing/fake-master.js";

describe("startMasterSync with a detected leader", () => {
  it("follows the list it is given and moves to a new leader on reconnect(), with a full resync", async () => {
    const old = await startFakeMaster(legacyState());
    const next = await startFakeMaster(legacyState([], { otherTasks: [] }));
    let leader = old.url;
    const views: ClusterView[] = [];
    // Long backoff would hide a missing reconnect: the resync period is off and the old master stays up.
    const sync = startMasterSync({ masters: () => [leader], resyncMs: 0, onView: (v) => views.push(v) });
    try {
      await until(() => sync.synced() && old.subscribers() === 1, "the first leader's stream");
      expect(sync.current().tasks.size).toBeGreaterThan(0);
      leader = next.url;
      sync.reconnect();
      await until(() => next.subscribers() === 1, "the new leader's stream");
      await until(() => sync.current().tasks.size === 0, "the new leader's state");
      await until(() => old.subscribers() === 0, "the old stream to be dropped");
    } finally {
      sync.close();
      await old.close();
      await next.close();
    }
  });

  it("waits without a leader, then follows the first one detected", async () => {
    const master = await startFakeMaster(legacyState());
    let leaders: string[] = [];
    const sync = startMasterSync({ masters: () => leaders, resyncMs: 0, onView: () => undefined });
    try {
      expect(sync.synced()).toBe(false);
      leaders = [master.url];
      sync.reconnect();
      await until(() => sync.synced(), "a sync once a leader exists");
    } finally {
      sync.close();
      await master.close();
    }
  });
});
