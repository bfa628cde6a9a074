/**
 * Checkpoints: the agent's durable picture (its id, tasks, containers, unacknowledged updates) in
 * one JSON file under `<work_dir>/meta`, written atomically (write temp, fsync, rename, fsync dir).
 * Writes are group-committed: every `save()` resolves after a write that started after the call, and
 * calls that arrive while a write runs share the next one, so a burst of 1,000 updates costs a few
 * fsyncs instead of 1,000.
 */
import { mkdir, open, readFile, rename } from "node:fs/promises";
import { dirname } from "node:path";

export interface Checkpointer {
  /** Persists the current snapshot; resolves once it is durable. */
  save(): Promise<void>;
  /** The last persisted snapshot, if any. */
  load(): Promise<unknown>;
}

/** For simulated agents in bulk: nothing survives the process, and nothing costs a syscall. */
export class MemoryCheckpointer implements Checkpointer {
  save(): Promise<void> {
    return Promise.resolve();
  }
  load(): Promise<unknown> {
    return Promise.resolve(undefined);
  }
}

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
  // fsync the directory so that the rename itself survives a crash.
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
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  constructor(
    private readonly path: string,
    private readonly snapshot: () => unknown,
  ) {}

  save(): Promise<void> {
    if (!this.running) {
      this.running = this.write().finally(() => (this.running = undefined));
      return this.running;
    }
    // A write is under way with an older snapshot: join (or schedule) the one after it.
    if (!this.next) {
      this.next = this.running
        .catch(() => undefined)
        .then(() => {
          this.next = undefined;
          return this.save();
        });
    }
    return this.next;
  }

  async load(): Promise<unknown> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    return JSON.parse(text) as unknown;
  }

  private write(): Promise<void> {
    return writeFileAtomic(this.path, JSON.stringify(this.snapshot()));
  }
}
