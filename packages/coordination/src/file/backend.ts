/**
 * One embedded store directory, shared by every FileStore handle of this process that opens it.
 * The backend owns the tree, the journal, the watchers and the directory lock; handles are sessions.
 */
import { mkdir, open, readFile, realpath, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CaravelError } from "@caravel/api";
import { notifyWatcher } from "../notify.js";
import type { NodeEvent } from "../store.js";
import { Journal, loadRecords, removeStaleTemp } from "./journal.js";
import { Tree, type Effects } from "./tree.js";

export const LOCK_FILE = "LOCK";

export interface BackendOptions {
  /** Journal size that triggers a snapshot (default 8 MiB). */
  readonly compactBytes?: number;
}

interface ChildWatcher {
  readonly listener: (children: string[]) => void;
  last: string;
}

/** Tree + journal + watchers for one directory. Mutations resolve once durable, then notify. */
export class Backend {
  readonly tree = new Tree();
  private readonly nodeWatchers = new Map<string, Set<(event: NodeEvent) => void>>();
  private readonly childWatchers = new Map<string, Set<ChildWatcher>>();
  private nextSession = 1;
  refs = 0;

  private constructor(
    readonly dir: string,
    private journal: Journal | undefined,
  ) {}

  /** Loads the directory (creating it) and takes its lock. */
  static async open(dir: string, options: BackendOptions): Promise<Backend> {
    await mkdir(dir, { recursive: true });
    await takeLock(dir);
    await removeStaleTemp(dir);
    const backend = new Backend(dir, undefined);
    const { records, journalBytes } = await loadRecords(dir);
    for (const record of records) backend.tree.replay(record);
    backend.journal = await Journal.open(dir, journalBytes, options.compactBytes ?? 8 * 1024 * 1024, () =>
      backend.tree.snapshot(),
    );
    return backend;
  }

  get stats(): Journal["stats"] {
    return this.requireJournal().stats;
  }

  newSession(): number {
    return this.nextSession++;
  }

  /** Makes a mutation durable, then tells the watchers. */
  async commit(effects: Effects): Promise<void> {
    await this.requireJournal().append(effects.records);
    this.notify(effects);
  }

  /** Notifies without journaling (ephemeral-only changes). */
  notify(effects: Effects): void {
    for (const event of effects.events) {
      for (const listener of [...(this.nodeWatchers.get(event.path) ?? [])]) notifyWatcher(() => listener(event));
    }
    for (const path of effects.childrenChanged) {
      for (const watcher of [...(this.childWatchers.get(path) ?? [])]) this.deliverChildren(path, watcher);
    }
  }

  watch(path: string, listener: (event: NodeEvent) => void): () => void {
    return addTo(this.nodeWatchers, path, listener);
  }

  watchChildren(path: string, listener: (children: string[]) => void): () => void {
    const watcher: ChildWatcher = { listener, last: "\u0000" };
    const remove = addTo(this.childWatchers, path, watcher);
    this.deliverChildren(path, watcher);
    return remove;
  }

  async close(): Promise<void> {
    await this.requireJournal().close();
    await rm(join(this.dir, LOCK_FILE), { force: true });
  }

  private deliverChildren(path: string, watcher: ChildWatcher): void {
    const children = this.tree.children(path);
    const key = children.join("/");
    if (key === watcher.last) return; // only real changes of the set
    watcher.last = key;
    notifyWatcher(() => watcher.listener(children));
  }

  private requireJournal(): Journal {
    if (!this.journal) throw new CaravelError("STORE_UNAVAILABLE", `store ${this.dir} is not open`);
    return this.journal;
  }
}

const backends = new Map<string, Promise<Backend>>();
/** Backends still closing: a reopen of the same directory waits for them, so two never overlap. */
const closing = new Map<string, Promise<void>>();

/** The shared backend for `dir`, opened on first use. */
export async function acquireBackend(dir: string, options: BackendOptions): Promise<Backend> {
  await mkdir(dir, { recursive: true });
  const key = await realpath(resolve(dir));
  for (let pending = closing.get(key); pending; pending = closing.get(key))
    await pending.catch(() => undefined);
  let pending = backends.get(key);
  if (!pending) {
    pending = Backend.open(key, options);
    backends.set(key, pending);
    pending.catch(() => backends.delete(key));
  }
  const backend = await pending;
  backend.refs += 1;
  return backend;
}

/** Drops one reference; the last one closes the backend and frees the directory. */
export async function releaseBackend(backend: Backend): Promise<void> {
  backend.refs -= 1;
  if (backend.refs > 0) return;
  backends.delete(backend.dir);
  const done = backend.close().finally(() => closing.delete(backend.dir));
  closing.set(backend.dir, done);
  await done;
}

/** Takes the directory's lock file, so that two processes never write one journal. */
async function takeLock(dir: string): Promise<void> {
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number((await readFile(file, "utf8").catch(() => "")).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new CaravelError(
          "STORE_UNAVAILABLE",
          `store directory ${dir} is in use by process ${pid}; stop it or use another directory`,
          {
            details: { dir, pid },
          },
        );
      }
      await rm(file, { force: true }); // stale lock from a process that died
    }
  }
  throw new CaravelError("STORE_UNAVAILABLE", `could not lock store directory ${dir}; check its permissions`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function addTo<T>(map: Map<string, Set<T>>, key: string, value: T): () => void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
  return () => {
    set.delete(value);
    if (set.size === 0 && map.get(key) === set) map.delete(key);
  };
}
