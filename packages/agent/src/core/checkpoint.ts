/**
 * Checkpoints: the agent's durable picture (its id, tasks, containers, unacknowledged updates) as a
 * key → JSON map in an append-only journal under `<work_dir>/meta`. A change costs one line, not a
 * rewrite of everything, and lines are group-committed: `flush()` resolves once every change staged
 * before the call is written, and changes staged while a write runs share the next one.
 *
 * What "durable" means here: once write(2) returned, the data is in the kernel and survives the
 * agent's own crash (kill -9, OOM), which is the failure recovery exists for. fsync protects against
 * the machine going down, where every task dies with it and nothing is reattached; so the journal is
 * fdatasync'd right after each write but not waited for, which keeps a slow disk out of the status
 * update path (`syncBeforeResolve` restores the wait). Compaction (temp file, fsync, rename) runs on
 * load and whenever the journal grows well past the live data.
 */
import { writeSync } from "node:fs";
import { mkdir, open, readFile, rename, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";

export interface Checkpointer {
  /** Stages a value for `key` (null-free JSON). */
  put(key: string, value: unknown): void;
  delete(key: string): void;
  /** Resolves once everything staged before the call is durable. */
  flush(): Promise<void>;
  /** The persisted map (replayed journal); call once, before any put. */
  load(): Promise<Map<string, unknown>>;
  close(): Promise<void>;
}

/** For simulated agents in bulk: nothing survives the process, and nothing costs a syscall. */
export class MemoryCheckpointer implements Checkpointer {
  put(): void {}
  delete(): void {}
  flush(): Promise<void> {
    return Promise.resolve();
  }
  load(): Promise<Map<string, unknown>> {
    return Promise.resolve(new Map());
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Writes a file atomically: temp file, fsync, rename, fsync of the directory. */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const handle = await open(tmp, "w");
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
  const dir = await open(dirname(path), "r");
  try {
    await dir.sync();
  } catch {
    // some filesystems refuse fsync on directories; the rename is still atomic
  } finally {
    await dir.close();
  }
}

const DELETED = Symbol("deleted");

export class FileCheckpointer implements Checkpointer {
  /** Live data as serialized lines, for compaction without re-serializing. */
  private readonly live = new Map<string, string>();
  private liveBytes = 0;
  private journalBytes = 0;
  /**
   * Changes not yet written, by key. Values are serialized when written, not when put: a task's
   * record put three times during one write (STARTING, RUNNING, an ack) costs one JSON.stringify and
   * one journal line. Callers put fresh objects (or ones they no longer change), so the value
   * written is the newest one put.
   */
  private staged = new Map<string, unknown>();
  private handle: FileHandle | undefined;
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  /** Statistics for tests and benchmarks. */
  writes = 0;

  private syncing: Promise<void> | undefined;
  private unsynced = false;

  constructor(
    private readonly path: string,
    private readonly options: { syncBeforeResolve?: boolean } = {},
  ) {}

  put(key: string, value: unknown): void {
    this.staged.set(key, value);
  }

  delete(key: string): void {
    if (!this.live.has(key) && !this.staged.has(key)) return;
    this.staged.set(key, DELETED);
  }

  flush(): Promise<void> {
    if (!this.running) {
      // Started on the next turn of the event loop, not now: whatever else this turn stages (the
      // RUNNING right after a STARTING, the other tasks of a burst of RUN_TASKs) shares the write.
      this.running = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.write()).finally(() => (this.running = undefined));
      return this.running;
    }
    this.next ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.next = undefined;
        return this.flush();
      });
    return this.next;
  }

  async load(): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>();
    let text = "";
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    for (const line of text.split("\n")) {
      if (!line) continue;
      let entry: [string, unknown?];
      try {
        entry = JSON.parse(line) as [string, unknown?];
      } catch {
        continue; // a torn last line from a crash mid-write: what it held was never acknowledged
      }
      if (entry.length === 1) {
        out.delete(entry[0]);
        this.live.delete(entry[0]);
      } else {
        out.set(entry[0], entry[1]);
        this.live.set(entry[0], line);
      }
    }
    this.liveBytes = [...this.live.values()].reduce((n, l) => n + l.length + 1, 0);
    await this.compact();
    return out;
  }

  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    await this.syncing;
    await this.handle?.close();
    this.handle = undefined;
  }

  private async write(): Promise<void> {
    if (this.staged.size === 0) return;
    const batch = this.staged;
    this.staged = new Map();
    const lines: string[] = [];
    for (const [key, value] of batch) {
      const old = this.live.get(key);
      if (value === DELETED) {
        if (old === undefined) continue; // put and deleted before it was ever written
        this.live.delete(key);
        this.liveBytes -= old.length + 1;
        lines.push(JSON.stringify([key]));
        continue;
      }
      const line = JSON.stringify([key, value]);
      if (old !== undefined) this.liveBytes -= old.length + 1;
      this.live.set(key, line);
      this.liveBytes += line.length + 1;
      lines.push(line);
    }
    if (lines.length === 0) return;
    if (this.journalBytes > 4 * 1024 * 1024 && this.journalBytes > 4 * this.liveBytes) return this.compact();
    const data = lines.join("\n") + "\n";
    if (!this.handle) {
      await mkdir(dirname(this.path), { recursive: true });
      this.handle = await open(this.path, "a");
    }
    // A synchronous append: a few KB into the page cache cost microseconds, less than a hop through
    // the thread pool (which, on a loaded machine, waits behind other work for milliseconds).
    writeSync(this.handle.fd, data);
    if (this.options.syncBeforeResolve) await this.handle.datasync();
    else this.syncSoon(this.handle);
    this.journalBytes += Buffer.byteLength(data);
    this.writes++;
  }

  /** fdatasync in the background; writes landing meanwhile are covered by one more sync after it. */
  private syncSoon(handle: FileHandle): void {
    this.unsynced = true;
    if (this.syncing) return;
    this.syncing = (async () => {
      while (this.unsynced) {
        this.unsynced = false;
        await handle.datasync().catch(() => undefined);
      }
    })().finally(() => (this.syncing = undefined));
  }

  /** Rewrites the journal as the live map only. */
  private async compact(): Promise<void> {
    const data = this.live.size ? [...this.live.values()].join("\n") + "\n" : "";
    await this.syncing;
    await this.handle?.close();
    this.handle = undefined;
    await writeFileAtomic(this.path, data);
    this.journalBytes = Buffer.byteLength(data);
    this.writes++;
  }
}
