/**
 * The embedded Store: a file-backed tree under one directory (see journal.ts for durability and
 * group commit). Every handle opened on the same directory in this process shares one backend and
 * is its own session, so ephemeral nodes and elections work between handles exactly as between
 * ZooKeeper clients; ephemeral nodes are never written to disk, so they are gone after a restart.
 * Another process opening the directory gets STORE_UNAVAILABLE (a lock file holds its pid).
 */
import { CaravelError } from "@caravel/api";
import { BaseStore } from "../base-store.js";
import { validateData, validateNodePath, validatePath, validateVersion } from "../paths.js";
import type { CreateOptions, DeleteOptions, NodeData, NodeEvent, PutOptions, Unsubscribe } from "../store.js";
import { acquireBackend, releaseBackend, type Backend, type BackendOptions } from "./backend.js";
import type { JournalStats } from "./journal.js";

export type FileStoreOptions = BackendOptions;

/** A handle (session) on an embedded store directory. */
export class FileStore extends BaseStore {
  readonly kind = "file" as const;
  private closed = false;
  private readonly unwatchers = new Set<Unsubscribe>();

  private constructor(
    private readonly backend: Backend,
    private readonly session: number,
  ) {
    super();
  }

  /** Opens (or joins) the store in `dir`, creating the directory when missing. */
  static async open(dir: string, options: FileStoreOptions = {}): Promise<FileStore> {
    const backend = await acquireBackend(dir, options);
    return new FileStore(backend, backend.newSession());
  }

  /** The directory this store lives in. */
  get dir(): string {
    return this.backend.dir;
  }

  /** Journal counters (fsyncs, flushes, records, compactions), shared by the directory's handles. */
  stats(): JournalStats {
    return { ...this.backend.stats };
  }

  async get(path: string): Promise<NodeData | undefined> {
    this.ensureOpen();
    return this.backend.tree.get(validatePath(path));
  }

  async put(path: string, data: Buffer, options: PutOptions = {}): Promise<number> {
    this.ensureOpen();
    const { version, effects } = this.backend.tree.put(
      validateNodePath(path),
      validateData(data),
      validateVersion(options.expectedVersion, true),
    );
    await this.backend.commit(effects);
    return version;
  }

  async create(path: string, data: Buffer, options: CreateOptions = {}): Promise<string> {
    this.ensureOpen();
    const created = this.backend.tree.create(validateNodePath(path), validateData(data), {
      ...options,
      owner: this.session,
    });
    await this.backend.commit(created.effects);
    return created.path;
  }

  async delete(path: string, options: DeleteOptions = {}): Promise<boolean> {
    this.ensureOpen();
    const version = validateVersion(options.expectedVersion, false);
    const { deleted, effects } = this.backend.tree.delete(validateNodePath(path), {
      ...options,
      expectedVersion: version,
    });
    await this.backend.commit(effects);
    return deleted;
  }

  async children(path: string): Promise<string[]> {
    this.ensureOpen();
    return this.backend.tree.children(validatePath(path));
  }

  async watch(path: string, listener: (event: NodeEvent) => void): Promise<Unsubscribe> {
    this.ensureOpen();
    return this.track(this.backend.watch(validatePath(path), listener));
  }

  async watchChildren(path: string, listener: (children: string[]) => void): Promise<Unsubscribe> {
    this.ensureOpen();
    return this.track(this.backend.watchChildren(validatePath(path), listener));
  }

  /** The embedded store's session only ends when the handle closes, so this never fires. */
  onSessionLost(_listener: (reason: string) => void): Unsubscribe {
    return () => {};
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const unwatch of [...this.unwatchers]) unwatch();
    // Ephemeral nodes die with their session, as in ZooKeeper; other handles' watchers hear it.
    for (const path of this.backend.tree.ephemeralsOf(this.session)) {
      this.backend.notify(this.backend.tree.delete(path, { recursive: true }).effects);
    }
    await releaseBackend(this.backend);
  }

  private track(unwatch: Unsubscribe): Unsubscribe {
    const once = (): void => {
      this.unwatchers.delete(once);
      unwatch();
    };
    this.unwatchers.add(once);
    return once;
  }

  private ensureOpen(): void {
    if (this.closed)
      throw new CaravelError("STORE_UNAVAILABLE", "this store handle is closed; open a new one");
  }
}

/** Opens the embedded store in `dir`. */
export function createFileStore(dir: string, options: FileStoreOptions = {}): Promise<FileStore> {
  return FileStore.open(dir, options);
}
