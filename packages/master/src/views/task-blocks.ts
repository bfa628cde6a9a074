/**
 * Serialised task lists kept between requests. `/master/state` at Mesos' benchmark size holds
 * 400,000 tasks (≈200 MiB of JSON) and is polled by every Mesos-DNS and UI, while few tasks change
 * between two polls. A list is cut into blocks of some 32 tasks; each block keeps the JSON of its
 * tasks joined by commas, so an unchanged block is written with no serialisation at all and a changed
 * one is rebuilt from its unchanged tasks' text and the JSON of the changed ones only. Blocks are
 * small so that a few thousand status updates between two polls rebuild a few megabytes, not the
 * whole document. They are strings, not Buffers: encoding them into the response's chunks costs
 * ≈0.1 s for 200 MiB, while every fresh Buffer is external memory, which V8 answers (at 64 MiB of
 * growth) with a full collection of the master's heap, ≈1 s of marking at Mesos' benchmark size.
 *
 * Block boundaries are chosen by the tasks themselves (a hash of the task id marks ~1 in 32 as a
 * block start), not by position: when a task is added or removed, or a bounded completed list drops
 * its oldest entry, every other block still starts with the same task and still matches.
 */
import type { TaskRecord } from "../state/types.js";

const AVERAGE_BLOCK = 32; // a power of two: a block starts where the id hash's low bits are zero
const MAX_BLOCK = 512; // caps the rare long run without a marked task

interface Block {
  tasks: TaskRecord[];
  revisions: number[];
  /** End offset of each task's JSON in `json` (tasks are separated by one comma). */
  ends: number[];
  json: string;
}

type Serialize = (task: TaskRecord) => string;
type TaskList = Map<string, TaskRecord> | TaskRecord[];

/** Blocks that start with a marked task, by that task. */
const blocksByFirstTask = new WeakMap<TaskRecord, Block>();
/** The first block of each list (it usually starts with an unmarked task), by the list. */
const firstBlocks = new WeakMap<object, Block>();
/** Each list's blocks as last written, so that an unchanged list is recognised in one pass. */
const layouts = new WeakMap<object, Block[]>();

/** Counters for tests and benchmarks: blocks written from the cache and blocks (re)built. */
export const blockStats = { reused: 0, built: 0, tasksSerialized: 0 };

/** Whether a block starts at this task: a 32-bit FNV-1a hash of the id's tail, mixed, low bits zero. */
export function startsBlock(taskId: string): boolean {
  let h = 0x811c9dc5;
  for (let i = Math.max(0, taskId.length - 16); i < taskId.length; i++) h = Math.imul(h ^ taskId.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return (h & (AVERAGE_BLOCK - 1)) === 0;
}

const current = (block: Block): boolean => block.tasks.every((t, i) => block.revisions[i] === t.revision);

function sameTasks(block: Block | undefined, run: TaskRecord[]): boolean {
  if (!block || block.tasks.length !== run.length) return false;
  for (let i = 0; i < run.length; i++) if (block.tasks[i] !== run[i]) return false;
  return true;
}

/**
 * Builds the block of `run`, reusing the text of tasks that are unchanged since `old`: found by
 * position when the tasks line up (a status update), else by lookup.
 */
function build(run: TaskRecord[], old: Block | undefined, serialize: Serialize): Block {
  blockStats.built++;
  const aligned = sameTasks(old, run);
  let where: Map<TaskRecord, number> | undefined;
  if (old && !aligned) {
    where = new Map();
    for (let i = 0; i < old.tasks.length; i++) where.set(old.tasks[i]!, i);
  }
  const parts: string[] = [];
  for (let i = 0; i < run.length; i++) {
    const t = run[i]!;
    const at = aligned ? i : where?.get(t);
    if (old && at !== undefined && old.revisions[at] === t.revision) parts.push(old.json.slice(at === 0 ? 0 : old.ends[at - 1]! + 1, old.ends[at]));
    else {
      blockStats.tasksSerialized++;
      parts.push(serialize(t));
    }
  }
  const ends: number[] = [];
  let end = -1;
  for (const part of parts) ends.push((end += part.length + 1));
  // join() makes one flat string: the slices of the old block do not keep it alive.
  return { tasks: run, revisions: run.map((t) => t.revision), ends, json: parts.join(",") };
}

function remember(list: object, block: Block, first: boolean): void {
  if (first) firstBlocks.set(list, block);
  else blocksByFirstTask.set(block.tasks[0]!, block);
}

function blockFor(list: object, run: TaskRecord[], first: boolean, serialize: Serialize): Block {
  const cached = first ? firstBlocks.get(list) : blocksByFirstTask.get(run[0]!);
  if (cached && sameTasks(cached, run) && current(cached)) {
    blockStats.reused++;
    return cached;
  }
  const block = build(run, cached, serialize);
  remember(list, block, first);
  return block;
}

/** Whether the list still holds exactly the tasks of `layout`, in order (revisions aside). */
function layoutHolds(layout: Block[], list: TaskList): boolean {
  let total = 0;
  for (const block of layout) total += block.tasks.length;
  if (total !== (Array.isArray(list) ? list.length : list.size)) return false;
  let b = 0;
  let i = 0;
  let block = layout[0];
  for (const t of Array.isArray(list) ? list : list.values()) {
    while (block && i === block.tasks.length) {
      block = layout[++b];
      i = 0;
    }
    if (!block || block.tasks[i] !== t) return false;
    i++;
  }
  return true;
}

/**
 * The JSON of a task list as blocks of comma-joined tasks (the caller writes `[`, the blocks with a
 * comma between them, and `]`). `list` identifies the list between requests (a framework's map or
 * array). An unchanged list costs two comparisons per task and no allocation; when only some tasks
 * changed, their blocks are rebuilt as they are written; when tasks came or went, the list is cut
 * again over a copy of it, since the caller may await (and the list change) between blocks.
 */
export function taskListBlocks(list: TaskList, serialize: Serialize): Iterable<string> {
  const layout = layouts.get(list);
  if (!layout || !layoutHolds(layout, list)) return cutBlocks(list, serialize);
  if (layout.every(current)) {
    blockStats.reused += layout.length;
    return layout.map((block) => block.json);
  }
  return refreshBlocks(list, layout, serialize);
}

function* refreshBlocks(list: TaskList, layout: Block[], serialize: Serialize): Generator<string> {
  for (let b = 0; b < layout.length; b++) {
    let block = layout[b]!;
    if (current(block)) blockStats.reused++;
    else {
      block = build(block.tasks, block, serialize);
      layout[b] = block;
      remember(list, block, b === 0);
    }
    yield block.json;
  }
}

function* cutBlocks(list: TaskList, serialize: Serialize): Generator<string> {
  const tasks = Array.isArray(list) ? list.slice() : [...list.values()];
  const layout: Block[] = [];
  let start = 0;
  for (let i = 1; i <= tasks.length; i++) {
    if (i === tasks.length || i - start >= MAX_BLOCK || startsBlock(tasks[i]!.info.task_id.value)) {
      const block = blockFor(list, tasks.slice(start, i), start === 0, serialize);
      layout.push(block);
      yield block.json;
      start = i;
    }
  }
  layouts.set(list, layout);
}
