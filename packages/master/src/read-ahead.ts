/**
 * The agent buckets a standby master reads before it is elected (a warm standby). Elected after a
 * failover, a master used to read the whole registry (≈ 10 MB at 10,000 agents) while every agent
 * was reconnecting to it; a warm one reads only the buckets written since it read them ahead.
 *
 * A bucket read ahead is trusted only while nothing says it may have changed: its watch is armed
 * before it is read (a write between the read and the watch cannot be missed), every watch event
 * makes it stale, and a lost session makes every bucket stale. Reads are tagged with a generation
 * that each event bumps, so a read that was under way when its bucket changed is not trusted either.
 */
import type { RegisteredAgent, RegistryStore } from "./registry.js";

/** A bucket node's content, as `load()` reads it. */
export type BucketContent = Record<string, RegisteredAgent> | undefined;

/** A RegistryStore that can watch (ZooKeeper, the file store, the in-memory one). */
export type WatchableStore = RegistryStore & Required<Pick<RegistryStore, "watch" | "watchChildren">>;

export function canWatch(store: RegistryStore): store is WatchableStore {
  return store.watch !== undefined && store.watchChildren !== undefined;
}

interface Entry {
  /** Bumped whenever the bucket may have changed: a read begun under an older one is not trusted. */
  generation: number;
  /** Buckets are read ahead only once their watch is armed. */
  watched: boolean;
  /** The bucket as read under the current generation. */
  read?: { content: BucketContent };
  reading?: Promise<void>;
  unwatch?: () => void;
}

export class BucketReadAhead {
  private readonly entries = new Map<string, Entry>();
  private readonly unsubscribes: Array<() => void> = [];
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: WatchableStore,
    private readonly dir: string,
  ) {}

  /**
   * Watches the bucket directory and every bucket in it, and reads them; resolves once each has
   * been read once (a failed read leaves its bucket stale). Every `refreshMs` (0: never), stale
   * buckets are read again, so that a standby of a long-lived leader stays warm; an interval
   * rather than a read per change keeps a burst of writes (10,000 agents re-registering with the
   * leader) from costing a standby one read per write.
   */
  async start(refreshMs: number): Promise<void> {
    this.keep(this.store.onSessionLost?.(() => this.invalidateAll()));
    let first: Promise<void> | undefined;
    // The listener is called once armed with the current buckets, then whenever the set changes.
    this.keep(
      await this.store.watchChildren(this.dir, (names) => {
        const added = this.track(names);
        first ??= added;
      }),
    );
    await first;
    if (refreshMs > 0 && !this.stopped) {
      this.timer = setInterval(() => this.refresh(), refreshMs);
      this.timer.unref();
    }
  }

  /**
   * Stops watching and hands over the buckets among `names` (the directory as the new leader lists
   * it): each one's content as read ahead, or undefined where the leader must read it.
   *
   * Only a listing done after the election may be passed here. ZooKeeper delivers a session's watch
   * events in zxid order, and its replies in request order: a bucket written by the old leader before
   * its session ended fired our watch before the change of the election's members did, the watch's
   * re-arming request (after which the listener runs) went out before the election's, and the
   * listing went out after both. So by the time the listing answers, every such bucket has been
   * marked stale. Nobody writes buckets after that: the old leader's session is over and the new
   * leader does not write before its load has returned.
   */
  take(names: readonly string[]): Array<Promise<{ content: BucketContent } | undefined>> {
    const taken = names.map((name) => {
      const entry = this.entries.get(name);
      if (!entry) return Promise.resolve(undefined);
      // A read under way is waited for rather than asked for again.
      return (entry.reading ?? Promise.resolve()).then(() => entry.read);
    });
    this.stop();
    return taken;
  }

  /** Drops the watches and what was read ahead (the leader's registry keeps what it took). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const entry of this.entries.values()) entry.unwatch?.();
    this.entries.clear();
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
  }

  private keep(unsubscribe: (() => void) | undefined): void {
    if (!unsubscribe) return;
    if (this.stopped) unsubscribe();
    else this.unsubscribes.push(unsubscribe);
  }

  /** Follows the set of buckets: new ones are watched and read, removed ones forgotten. */
  private track(names: readonly string[]): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const current = new Set(names);
    for (const [name, entry] of this.entries) {
      if (current.has(name)) continue;
      entry.unwatch?.();
      this.invalidate(entry);
      this.entries.delete(name);
    }
    const added = names.filter((name) => !this.entries.has(name)).map((name) => this.add(name));
    return Promise.all(added).then(() => undefined);
  }

  private async add(name: string): Promise<void> {
    const entry: Entry = { generation: 0, watched: false };
    this.entries.set(name, entry);
    try {
      const unwatch = await this.store.watch(`${this.dir}/${name}`, () => this.invalidate(entry));
      if (this.stopped || this.entries.get(name) !== entry) return unwatch();
      entry.unwatch = unwatch;
      entry.watched = true;
    } catch {
      // Never watched, never trusted: the leader reads it.
      return;
    }
    await this.read(name, entry);
  }

  private read(name: string, entry: Entry): Promise<void> {
    const generation = entry.generation;
    const reading = this.store
      .getJson<Record<string, RegisteredAgent>>(`${this.dir}/${name}`)
      .then(
        (content) => {
          if (entry.generation === generation) entry.read = { content };
        },
        // Left stale: read again by the next refresh, or by the leader.
        () => undefined,
      )
      .finally(() => {
        if (entry.reading === reading) entry.reading = undefined;
      });
    entry.reading = reading;
    return reading;
  }

  private refresh(): void {
    for (const [name, entry] of this.entries) {
      if (entry.watched && !entry.read && !entry.reading) void this.read(name, entry);
    }
  }

  private invalidate(entry: Entry): void {
    entry.generation += 1;
    entry.read = undefined;
  }

  /** A lost session may have missed events (and ZooKeeper re-arms on a new one): nothing read is trusted. */
  private invalidateAll(): void {
    for (const entry of this.entries.values()) this.invalidate(entry);
  }
}
