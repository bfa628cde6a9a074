/**
 * Serialised task lists kept between requests. `/master/state` at Mesos' benchmark size holds
 * 400,000 tasks (≈200 MiB of JSON) and is polled by every Mesos-DNS and UI, while few tasks change
 * between two polls. A list is cut into blocks of a few hundred tasks; each block keeps the UTF-8
 * bytes of its tasks joined by commas, so an unchanged block is written with no work at all and a
 * changed one is rebuilt by copying its unchanged tasks' bytes and serialising only the changed ones.
 *
 * Block boundaries are chosen by the tasks themselves (a hash of the task id marks ~1 in 512 as a
 * block start), not by position: when a task is added or removed, or a bounded completed list drops
 * its oldest entry, every other block still starts with the same task and still matches.
 */
import type { TaskRecord } from "../state/types.js";

const AVERAGE_BLOCK = 512; // a power of two: a block starts where the id hash's low bits are zero
const MAX_BLOCK = 4096; // caps the rare long run without a marked task

interface Block {
  tasks: TaskRecord[];
  revisions: number[];
  /** End offset of each task's JSON in `bytes` (tasks are separated by one comma). */
  ends: number[];
  bytes: Buffer;
}

/** Blocks that start with a marked task, by that task. */
const blocksByFirstTask = new WeakMap<TaskRecord, Block>();
/** The first block of each list (it usually starts with an unmarked task), by the list. */
const firstBlocks = new WeakMap<object, Block>();

/** Whether a block starts at this task: a 32-bit FNV-1a hash of the id's tail, mixed, low bits zero. */
export function startsBlock(taskId: string): boolean {
  let h = 0x811c9dc5;
  for (let i = Math.max(0, taskId.length - 16); i < taskId.length; i++) h = Math.imul(h ^ taskId.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return (h & (AVERAGE_BLOCK - 1)) === 0;
}

function matches(block: Block | undefined, run: TaskRecord[]): block is Block {
  if (!block || block.tasks.length !== run.length) return false;
  for (let i = 0; i < run.length; i++) {
    const t = run[i]!;
    if (block.tasks[i] !== t || block.revisions[i] !== t.revision) return false;
  }
  return true;
}

/** Builds a block, reusing the bytes of tasks that are unchanged since `old`. */
function build(run: TaskRecord[], old: Block | undefined, serialize: (task: TaskRecord) => string): Block {
  const previous = new Map<TaskRecord, number>();
  if (old) for (let i = 0; i < old.tasks.length; i++) previous.set(old.tasks[i]!, i);
  // New tasks stay strings until they are encoded straight into the block (no Buffer per task).
  const parts: Array<Buffer | string> = [];
  const sizes: number[] = [];
  let length = run.length - 1;
  for (const t of run) {
    const i = previous.get(t);
    let part: Buffer | string;
    let size: number;
    if (old && i !== undefined && old.revisions[i] === t.revision) {
      part = old.bytes.subarray(i === 0 ? 0 : old.ends[i - 1]! + 1, old.ends[i]);
      size = part.length;
    } else {
      blockStats.tasksSerialized++;
      part = serialize(t);
      size = Buffer.byteLength(part, "utf8");
    }
    parts.push(part);
    sizes.push(size);
    length += size;
  }
  const bytes = Buffer.allocUnsafe(length);
  const ends: number[] = [];
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) bytes[at++] = 0x2c; // ','
    const part = parts[i]!;
    if (typeof part === "string") bytes.write(part, at, sizes[i]!, "utf8");
    else part.copy(bytes, at);
    at += sizes[i]!;
    ends.push(at);
  }
  return { tasks: run, revisions: run.map((t) => t.revision), ends, bytes };
}

/** Counters for tests and benchmarks: blocks written from the cache and blocks (re)built. */
export const blockStats = { reused: 0, built: 0, tasksSerialized: 0 };

function blockFor(list: object, run: TaskRecord[], first: boolean, serialize: (task: TaskRecord) => string): Block {
  const cached = first ? firstBlocks.get(list) : blocksByFirstTask.get(run[0]!);
  if (matches(cached, run)) {
    blockStats.reused++;
    return cached;
  }
  blockStats.built++;
  const block = build(run, cached, serialize);
  if (first) firstBlocks.set(list, block);
  else blocksByFirstTask.set(run[0]!, block);
  return block;
}

/** Each list's blocks as last written, so that an unchanged list is recognised in one pass. */
const layouts = new WeakMap<object, Block[]>();

/** Whether the list still holds exactly the tasks of `layout`, in order and at the same revisions. */
function layoutMatches(layout: Block[], list: Map<string, TaskRecord> | TaskRecord[]): boolean {
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
    if (!block || block.tasks[i] !== t || block.revisions[i] !== t.revision) return false;
    i++;
  }
  return true;
}

/**
 * The JSON of a task list as blocks of comma-joined tasks (the caller writes `[`, the blocks with a
 * comma between them, and `]`). `list` identifies the list between requests (a framework's map or
 * array). An unchanged list costs one comparison per task and no allocation; a changed one is cut
 * again over a copy of the list, since the caller may await (and the list change) between blocks.
 */
export function taskListBlocks(list: Map<string, TaskRecord> | TaskRecord[], serialize: (task: TaskRecord) => string): Iterable<Buffer> {
  const layout = layouts.get(list);
  if (layout && layoutMatches(layout, list)) {
    blockStats.reused += layout.length;
    return layout.map((block) => block.bytes);
  }
  return cutBlocks(list, serialize);
}

function* cutBlocks(list: Map<string, TaskRecord> | TaskRecord[], serialize: (task: TaskRecord) => string): Generator<Buffer> {
  const tasks = Array.isArray(list) ? list.slice() : [...list.values()];
  const layout: Block[] = [];
  let start = 0;
  for (let i = 1; i <= tasks.length; i++) {
    if (i === tasks.length || i - start >= MAX_BLOCK || startsBlock(tasks[i]!.info.task_id.value)) {
      const block = blockFor(list, tasks.slice(start, i), start === 0, serialize);
      layout.push(block);
      yield block.bytes;
      start = i;
    }
  }
  layouts.set(list, layout);
}
