/** `/master/tasks` pages: the bounded-heap selection gives exactly what a full stable sort gives. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { TaskRecord } from "../state/types.js";
import { latestStatusTime, taskPage } from "./task-page.js";

const task = (id: number, time: number | undefined): TaskRecord =>
  ({ info: { task_id: { value: `t${id}` } }, statuses: time === undefined ? [] : [{ state: "TASK_RUNNING", timestamp: time }] }) as unknown as TaskRecord;

function reference(tasks: TaskRecord[], offset: number, limit: number, order: "asc" | "desc"): TaskRecord[] {
  const sorted = [...tasks].sort((a, b) => (order === "asc" ? latestStatusTime(a) - latestStatusTime(b) : latestStatusTime(b) - latestStatusTime(a)));
  return sorted.slice(offset, offset + limit);
}

describe("taskPage", () => {
  it("equals a stable sort by latest status time, sliced", () => {
    fc.assert(
      fc.property(
        // Few distinct times, so that ties (kept in list order) are common.
        fc.array(fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }), { maxLength: 400 }),
        fc.nat(450),
        fc.nat(120),
        fc.constantFrom("asc" as const, "desc" as const),
        (times, offset, limit, order) => {
          const tasks = times.map((t, i) => task(i, t === undefined ? undefined : t / 4));
          expect(taskPage(tasks, offset, limit, order).map((t) => t.info.task_id.value)).toEqual(reference(tasks, offset, limit, order).map((t) => t.info.task_id.value));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("pages through many tasks with the default page of 100", () => {
    const tasks = Array.from({ length: 10_000 }, (_, i) => task(i, (i * 7919) % 1000));
    for (const offset of [0, 100, 4900, 9950]) expect(taskPage(tasks, offset, 100, "desc")).toEqual(reference(tasks, offset, 100, "desc"));
  });
});
