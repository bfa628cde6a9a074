/**
 * Durable storage for the embedded store: an append-only journal of JSON lines plus a snapshot.
 *
 * Group commit: records appended while a flush is running (or within the same tick) are written
 * together and share one fdatasync, so 1,000 concurrent writes cost a handful of fsyncs rather than
 * 1,000. When the journal grows past `compactBytes`, the full tree is written to a new snapshot
 * (write temp + fsync + rename + directory fsync) and the journal is truncated. Records hold a node's
 * full state, so replaying a journal over a snapshot that already contains it is harmless — which is
 * what makes a crash between the rename and the truncation safe.
 */
import { open, readFile, rename, rm, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { CaravelError } from "@caravel/api";
import type { JournalRecord } from "./tree.js";

export const JOURNAL_FILE = "journal.jsonl";
export const SNAPSHOT_FILE = "snapshot.jsonl";

/** Counters for benchmarks and tests. */
export interface JournalStats {
  fsyncs: number;
  flushes: number;
  records: number;
  compactions: number;
}

interface Pending {
  readonly lines: string;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** Reads the snapshot and journal of `dir`; a torn last journal line (crash mid-write) is dropped. */
export async function loadRecords(dir: string): Promise<{ records: JournalRecord[]; journalBytes: number }> {
  const records: JournalRecord[] = [];
  const parseLines = (text: string, file: string, tolerateTornTail: boolean): number => {
    const lines = text.split("\n");
    let goodBytes = 0;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] ?? "";
      if (line === "") continue;
      const last = i === lines.length - 1;
      try {
        records.push(JSON.parse(line) as JournalRecord);
      } catch {
        if (last && tolerateTornTail) break;
        throw new CaravelError(
          "STORE_UNAVAILABLE",
          `${join(dir, file)} is corrupt at line ${i + 1}; restore the directory from a backup`,
          {
            details: { file: join(dir, file), line: i + 1 },
          },
        );
      }
      goodBytes += Buffer.byteLength(line) + 1;
    }
    return goodBytes;
  };
  parseLines(await readOptional(join(dir, SNAPSHOT_FILE)), SNAPSHOT_FILE, false);
  const journalBytes = parseLines(await readOptional(join(dir, JOURNAL_FILE)), JOURNAL_FILE, true);
  return { records, journalBytes };
}

/** The append side of the journal, with group commit and compaction. */
export class Journal {
  readonly stats: JournalStats = { fsyncs: 0, flushes: 0, records: 0, compactions: 0 };
  private queue: Pending[] = [];
  private flushing = false;
  private failed: Error | undefined;

  private constructor(
    private readonly dir: string,
    private handle: FileHandle,
    private bytes: number,
    private readonly compactBytes: number,
    private readonly snapshot: () => JournalRecord[],
  ) {}

  /** Opens the journal for appending, cutting off a torn tail at `validBytes`. */
  static async open(
    dir: string,
    validBytes: number,
    compactBytes: number,
    snapshot: () => JournalRecord[],
  ): Promise<Journal> {
    const handle = await open(join(dir, JOURNAL_FILE), "a+");
    const { size } = await handle.stat();
    if (size !== validBytes) await handle.truncate(validBytes);
    await handle.sync();
    await syncDir(dir); // the journal's directory entry must be durable too
    return new Journal(dir, handle, validBytes, compactBytes, snapshot);
  }

  /** Appends records; resolves once they are on disk. */
  append(records: JournalRecord[]): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (records.length === 0) return Promise.resolve();
    this.stats.records += records.length;
    const lines = records.map((r) => JSON.stringify(r)).join("\n") + "\n";
    return new Promise((resolve, reject) => {
      this.queue.push({ lines, resolve, reject });
      // setImmediate, not a microtask: every write issued in this tick joins the same batch.
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flushLoop());
      }
    });
  }

  /** Waits for pending writes, then closes the file. */
  async close(): Promise<void> {
    while (this.flushing) await new Promise((resolve) => setImmediate(resolve));
    await this.handle.close();
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        try {
          const buffer = Buffer.from(batch.map((p) => p.lines).join(""), "utf8");
          await this.handle.write(buffer, 0, buffer.length, null);
          await this.handle.datasync();
          this.stats.fsyncs += 1;
          this.stats.flushes += 1;
          this.bytes += buffer.length;
          if (this.bytes >= this.compactBytes) await this.compact();
          for (const p of batch) p.resolve();
        } catch (error) {
          // Memory is now ahead of the disk: refuse every later write rather than diverge further.
          this.failed = new CaravelError(
            "STORE_UNAVAILABLE",
            `writing the store journal in ${this.dir} failed: ${(error as Error).message}; restart after fixing the disk`,
            {
              cause: error,
            },
          );
          for (const p of [...batch, ...this.queue]) p.reject(this.failed);
          this.queue = [];
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async compact(): Promise<void> {
    const tmp = join(this.dir, `${SNAPSHOT_FILE}.tmp`);
    const text = this.snapshot()
      .map((r) => JSON.stringify(r) + "\n")
      .join("");
    const file = await open(tmp, "w");
    try {
      await file.writeFile(text, "utf8");
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, join(this.dir, SNAPSHOT_FILE));
    await syncDir(this.dir);
    await this.handle.truncate(0);
    await this.handle.datasync();
    this.stats.fsyncs += 3;
    this.stats.compactions += 1;
    this.bytes = 0;
  }
}

async function readOptional(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw error;
  }
}

/** fsyncs a directory so that renames and new entries in it survive a crash. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Removes a leftover temporary snapshot from an interrupted compaction. */
export async function removeStaleTemp(dir: string): Promise<void> {
  await rm(join(dir, `${SNAPSHOT_FILE}.tmp`), { force: true });
}
