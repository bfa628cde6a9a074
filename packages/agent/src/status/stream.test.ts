import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { TaskStatus } from "@caravel/api";
import { StatusStreams, nextRetry } from "./stream.js";

const st = (uuid: string, state: TaskStatus["state"] = "TASK_RUNNING"): TaskStatus => ({ task_id: { value: "t" }, state, uuid });

describe("status update streams", () => {
  it("sends one update per task at a time, in order", () => {
    const s = new StatusStreams(10, 100);
    expect(s.enqueue("t", "f", st("a", "TASK_STARTING"))).toBe(true);
    expect(s.enqueue("t", "f", st("b"))).toBe(false);
    expect(s.head("t")?.uuid).toBe("a");
    expect(s.acknowledge("t", "b")).toEqual({ matched: false });
    const r = s.acknowledge("t", "a");
    expect(r.matched).toBe(true);
    expect(r.next?.uuid).toBe("b");
    expect(s.acknowledge("t", "b")).toEqual({ matched: true });
    expect(s.size).toBe(0);
  });

  it("retries the head with doubling backoff up to the cap", () => {
    const s = new StatusStreams(10, 40);
    s.enqueue("t", "f", st("a"));
    expect(s.due(0)).toEqual([]); // not sent yet: nothing to retry
    s.markSent("t", 0);
    expect(s.due(9)).toEqual([]);
    expect(s.due(10).map((d) => d.status.uuid)).toEqual(["a"]);
    expect(s.due(29)).toEqual([]);
    expect(s.due(30)).toHaveLength(1);
    expect(s.due(70)).toHaveLength(1);
    expect(s.due(109)).toEqual([]);
    expect(s.due(110)).toHaveLength(1); // capped at 40
  });

  it("resends every head after re-subscribing", () => {
    const s = new StatusStreams();
    s.enqueue("t1", "f", st("a"));
    s.enqueue("t1", "f", st("b"));
    s.enqueue("t2", "f", st("c"));
    expect(s.heads().map((h) => h.status.uuid).sort()).toEqual(["a", "c"]);
  });

  it("backoff never exceeds the cap and never shrinks", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1e6 }), (ms) => nextRetry(ms, 6e5) <= Math.max(6e5, ms) && nextRetry(ms, 6e5) >= Math.min(ms, 6e5)));
  });

  it("acknowledges in any order only the head (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.uuid(), { minLength: 1, maxLength: 20 }), (uuids) => {
        const unique = [...new Set(uuids)];
        const s = new StatusStreams();
        unique.forEach((u) => s.enqueue("t", "f", st(u)));
        // acknowledging the last one first must not skip the queue
        if (unique.length > 1) expect(s.acknowledge("t", unique.at(-1)!).matched).toBe(false);
        for (const u of unique) expect(s.acknowledge("t", u).matched).toBe(true);
        return s.size === 0;
      }),
    );
  });
});
