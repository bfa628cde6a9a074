/**
 * Checkpoints: the agent's durable picture (its id, tasks, containers, unacknowledged updates) as a
 * key → JSON map in an append-only journal under `<work_dir>/meta`. A change costs one line, not a
 * rewrite of everything, and lines are group-committed: `flush()` resolves once every change staged
 * before the call is written and fsync'd, and changes staged while a write runs share the next one,
 * so a burst of 1,000 updates costs a handful of fsyncs. The journal is compacted (rewritten through
 * temp file, fsync and rename) on load and whenever it grows well past the live data.
 */
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

export class FileCheckpointer implements Checkpointer {
  /** Live data as serialized lines, for compaction without re-serializing. */
  private readonly live = new Map<string, string>();
  private liveBytes = 0;
  private journalBytes = 0;
  private staged: string[] = [];
  private handle: FileHandle | undefined;
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  /** Statistics for tests and benchmarks. */
  writes = 0;

  constructor(private readonly path: string) {}

  put(key: string, value: unknown): void {
    this.stage(key, JSON.stringify([key, value]));
  }

  delete(key: string): void {
    if (!this.live.has(key)) return;
    this.stage(key, undefined);
    this.staged.push(JSON.stringify([key]));
  }

  private stage(key: string, line: string | undefined): void {
    const old = this.live.get(key);
    if (old !== undefined) this.liveBytes -= old.length + 1;
    if (line === undefined) {
      this.live.delete(key);
      return;
    }
    this.live.set(key, line);
    this.liveBytes += line.length + 1;
    this.staged.push(line);
  }

  flush(): Promise<void> {
    if (!this.running) {
      this.running = this.write().finally(() => (this.running = undefined));
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
    await this.handle?.close();
    this.handle = undefined;
  }

  private async write(): Promise<void> {
    if (this.staged.length === 0) return;
    if (this.journalBytes > 4 * 1024 * 1024 && this.journalBytes > 4 * this.liveBytes) {
      this.staged = [];
      return this.compact();
    }
    const data = this.staged.join("\n") + "\n";
    this.staged = [];
    if (!this.handle) {
      await mkdir(dirname(this.path), { recursive: true });
      this.handle = await open(this.path, "a");
    }
    await this.handle.write(data);
    await this.handle.datasync();
    this.journalBytes += Buffer.byteLength(data);
    this.writes++;
  }

  /** Rewrites the journal as the live map only. */
  private async compact(): Promise<void> {
    const data = this.live.size ? [...this.live.values()].join("\n") + "\n" : "";
    await this.handle?.close();
    this.handle = undefined;
    await writeFileAtomic(this.path, data);
    this.journalBytes = Buffer.byteLength(data);
    this.writes++;
  }
}
