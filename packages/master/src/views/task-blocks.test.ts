/** Task blocks: whatever happens to a list between two writes, the blocks joined are its JSON. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { TaskRecord } from "../state/types.js";
import { blockStats, taskListBlocks } from "./task-blocks.js";

let serial = 0;
const newTask = (): TaskRecord => ({ info: { task_id: { value: `task-${serial++}` } }, revision: 0 }) as unknown as TaskRecord;
// Multi-byte characters, so that byte offsets and string lengths differ.
const serialize = (t: TaskRecord): string => JSON.stringify({ id: t.info.task_id.value, rev: t.revision, note: "é€😀".repeat(t.revision % 3) });
const written = (list: Map<string, TaskRecord> | TaskRecord[]): string => `[${[...taskListBlocks(list, serialize)].join(",")}]`;
const expected = (list: Map<string, TaskRecord> | TaskRecord[]): string => JSON.stringify((Array.isArray(list) ? list : [...list.values()]).map((t) => JSON.parse(serialize(t))));

const change = fc.tuple(fc.constantFrom("update", "updateRun", "insert", "remove", "shift", "push"), fc.nat(), fc.integer({ min: 1, max: 90 }));

describe("taskListBlocks", () => {
  it("joins to the list's JSON after updates, insertions, removals and a bounded list's shifts", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 700 }), fc.array(fc.array(change, { maxLength: 6 }), { maxLength: 6 }), fc.boolean(), (size, rounds, asMap) => {
        const tasks = Array.from({ length: size }, newTask);
        const map = new Map(tasks.map((t) => [t.info.task_id.value, t]));
        const list = asMap ? map : tasks;
        expect(written(list)).toBe(expected(list));
        for (const round of rounds) {
          for (const [kind, at, n] of round) {
            const all = Array.isArray(list) ? list : [...list.values()];
            const t = all.length > 0 ? all[at % all.length]! : undefined;
            if (kind === "update" && t) t.revision++;
            else if (kind === "updateRun") for (let k = 0; k < n && all.length > 0; k++) all[(at + k) % all.length]!.revision++;
            else if (kind === "insert" || kind === "push") {
              const fresh = newTask();
              if (Array.isArray(list)) list.splice(kind === "push" ? list.length : at % (list.length + 1), 0, fresh);
              else list.set(fresh.info.task_id.value, fresh);
            } else if (kind === "remove" && t) {
              if (Array.isArray(list)) list.splice(list.indexOf(t), 1);
              else list.delete(t.info.task_id.value);
            } else if (kind === "shift" && Array.isArray(list)) list.splice(0, Math.min(n, list.length));
          }
          expect(written(list)).toBe(expected(list));
          expect(written(list)).toBe(expected(list)); // and again, from the cache
        }
      }),
      { numRuns: 150 },
    );
  });

  it("rebuilds only the blocks of updated tasks and serialises only those tasks", () => {
    const tasks = Array.from({ length: 5000 }, newTask);
    written(tasks);
    blockStats.reused = blockStats.built = blockStats.tasksSerialized = 0;
    written(tasks);
    expect(blockStats).toMatchObject({ built: 0, tasksSerialized: 0 });
    const blocks = blockStats.reused;
    expect(blocks).toBeGreaterThan(20);
    for (const i of [7, 2500, 4999]) tasks[i]!.revision++;
    blockStats.reused = blockStats.built = blockStats.tasksSerialized = 0;
    expect(written(tasks)).toBe(expected(tasks));
    expect(blockStats).toEqual({ reused: blocks - 3, built: 3, tasksSerialized: 3 });
  });
});
