/**
 * One page of `/master/tasks`: tasks ordered by their latest status time (ties keep their order, as a
 * stable sort does), `offset` and `limit` applied. A page is usually 100 of several hundred thousand
 * tasks, so the first `offset + limit` are selected with a bounded heap instead of sorting them all.
 */
import type { TaskRecord } from "../state/types.js";

export type TaskOrder = "asc" | "desc";

export const latestStatusTime = (t: TaskRecord): number => t.statuses.at(-1)?.timestamp ?? 0;

export function taskPage(tasks: readonly TaskRecord[], offset: number, limit: number, order: TaskOrder): TaskRecord[] {
  const k = Math.min(tasks.length, offset + limit);
  if (k <= offset) return [];
  const time = new Float64Array(tasks.length);
  for (let i = 0; i < tasks.length; i++) time[i] = latestStatusTime(tasks[i]!);
  const sign = order === "asc" ? 1 : -1;
  /** Whether task i comes before task j in the page order. */
  const before = (i: number, j: number): boolean => {
    const d = sign * (time[i]! - time[j]!);
    return d < 0 || (d === 0 && i < j);
  };
  let chosen: number[];
  if (k * 4 >= tasks.length) {
    chosen = Array.from(tasks.keys());
  } else {
    // A max-heap by page order of the k earliest seen so far: its root is the one to drop next.
    const heap: number[] = [];
    const siftDown = (at: number): void => {
      for (;;) {
        const l = 2 * at + 1;
        const r = l + 1;
        let last = at;
        if (l < heap.length && before(heap[last]!, heap[l]!)) last = l;
        if (r < heap.length && before(heap[last]!, heap[r]!)) last = r;
        if (last === at) return;
        [heap[at], heap[last]] = [heap[last]!, heap[at]!];
        at = last;
      }
    };
    for (let i = 0; i < tasks.length; i++) {
      if (heap.length < k) {
        heap.push(i);
        for (let c = heap.length - 1; c > 0; ) {
          const p = (c - 1) >> 1;
          if (!before(heap[p]!, heap[c]!)) break;
          [heap[p], heap[c]] = [heap[c]!, heap[p]!];
          c = p;
        }
      } else if (before(i, heap[0]!)) {
        heap[0] = i;
        siftDown(0);
      }
    }
    chosen = heap;
  }
  chosen.sort((i, j) => (before(i, j) ? -1 : before(j, i) ? 1 : 0));
  return chosen.slice(offset, k).map((i) => tasks[i]!);
}
