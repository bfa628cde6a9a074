/**
 * The ZooKeeper Store (`--zk zk://h1:2181,h2:2181/caravel`), through node-zookeeper-client.
 * The chroot is applied here rather than by the client, so that a missing chroot node can be
 * created on connect. With `user:pass@` in the URL, nodes are created readable by anyone and
 * writable by that user only (as Mesos does). On a lost session (see session.ts) the store goes
 * on with a new one by itself and re-arms every watch, but the ephemeral nodes it held are gone:
 * their owners hear `onSessionLost` and must create them again.
 */
import zookeeper, { type Event } from "node-zookeeper-client";
import { CaravelError } from "@caravel/api";
import { BaseStore } from "../base-store.js";
import { parentOf, validateData, validateNodePath, validatePath, validateVersion } from "../paths.js";
import type { CreateOptions, DeleteOptions, NodeData, NodeEvent, PutOptions, Unsubscribe } from "../store.js";
import { isZkCode, toStoreError, zk } from "./ops.js";
import { ZkSession, type SessionOptions } from "./session.js";
import { fromZkPath, parseZkUrl, toZkPath, type ZkUrl } from "./url.js";
import { ChildrenWatch, NodeWatch, type Watch } from "./watches.js";

const { CreateMode, Exception, ACL, Id, Permission } = zookeeper;

export interface ZkStoreOptions extends SessionOptions {
  /** Give up on a single operation after this long (default: the session timeout). */
  readonly operationTimeoutMs?: number;
}

/** A Store on a ZooKeeper ensemble; one instance is one session. */
export class ZkStore extends BaseStore {
  readonly kind = "zk" as const;
  readonly url: ZkUrl;
  private readonly session: ZkSession;
  private readonly acls: zookeeper.ACL[];
  private readonly lostListeners = new Set<(reason: string) => void>();
  private readonly watches = new Set<Watch>();
  private readonly inflight = new Set<(error: Error) => void>();
  private readonly operationTimeoutMs: number;
  private closed = false;

  private constructor(url: string, options: ZkStoreOptions) {
    super();
    this.url = parseZkUrl(url);
    this.acls =
      this.url.auth === undefined
        ? [new ACL(Permission.ALL, new Id("world", "anyone"))]
        : [new ACL(Permission.ALL, new Id("auth", "")), new ACL(Permission.READ, new Id("world", "anyone"))];
    this.session = new ZkSession(
      this.url,
      { onConnected: (fresh) => this.onConnected(fresh), onLost: (reason) => this.onLost(reason) },
      options,
    );
    this.operationTimeoutMs = options.operationTimeoutMs ?? this.session.sessionTimeoutMs;
  }

  /** Connects and makes sure the chroot node exists. */
  static async open(url: string, options: ZkStoreOptions = {}): Promise<ZkStore> {
    const store = new ZkStore(url, options);
    try {
      await store.session.ready(options.connectTimeoutMs);
      if (store.url.chroot !== "/")
        await store.run(store.url.chroot, (c) => zk.mkdirp(c, store.url.chroot, store.acls));
    } catch (error) {
      await store.session.close();
      throw error;
    }
    return store;
  }

  /** The current session id (hex), for logs and tests. */
  get sessionId(): string {
    return this.session.sessionId;
  }

  /** "host:port" of the ZooKeeper server this store is connected through now (logs, tests). */
  get server(): string | undefined {
    return this.session.server;
  }

  /** The current client session's id and password, for tests that force its expiry. */
  sessionCredentials(): { sessionId: Buffer; sessionPassword: Buffer } {
    return {
      sessionId: this.session.client.getSessionId(),
      sessionPassword: this.session.client.getSessionPassword(),
    };
  }

  async get(path: string): Promise<NodeData | undefined> {
    const p = validatePath(path);
    try {
      const { data, stat } = await this.run(p, (c) => zk.getData(c, this.zk(p)));
      return { data: data ?? Buffer.alloc(0), version: stat.version };
    } catch (error) {
      if (isZkCode(error, Exception.NO_NODE)) return undefined;
      throw toStoreError(error, p);
    }
  }

  async put(path: string, data: Buffer, options: PutOptions = {}): Promise<number> {
    const p = validateNodePath(path);
    validateData(data);
    const expected = validateVersion(options.expectedVersion, true);
    if (expected === -1) {
      await this.createWithParents(p, data, CreateMode.PERSISTENT);
      return 0;
    }
    for (;;) {
      try {
        return (await this.run(p, (c) => zk.setData(c, this.zk(p), data, expected ?? -1))).version;
      } catch (error) {
        if (expected !== undefined || !isZkCode(error, Exception.NO_NODE))
          throw toStoreError(error, p, expected);
      }
      try {
        await this.createWithParents(p, data, CreateMode.PERSISTENT);
        return 0;
      } catch (error) {
        if (!(error instanceof CaravelError && error.code === "STORE_NODE_EXISTS")) throw error;
        // Someone created it between our two calls: overwrite it on the next turn.
      }
    }
  }

  async create(path: string, data: Buffer, options: CreateOptions = {}): Promise<string> {
    const p = validateNodePath(path);
    validateData(data);
    const mode = options.ephemeral
      ? options.sequential
        ? CreateMode.EPHEMERAL_SEQUENTIAL
        : CreateMode.EPHEMERAL
      : options.sequential
        ? CreateMode.PERSISTENT_SEQUENTIAL
        : CreateMode.PERSISTENT;
    return this.createWithParents(p, data, mode);
  }

  async delete(path: string, options: DeleteOptions = {}): Promise<boolean> {
    const p = validateNodePath(path);
    const expected = validateVersion(options.expectedVersion, false);
    for (let attempt = 1; ; attempt++) {
      if (options.recursive)
        for (const child of await this.children(p)) await this.delete(`${p}/${child}`, { recursive: true });
      try {
        await this.run(p, (c) => zk.remove(c, this.zk(p), expected ?? -1));
        return true;
      } catch (error) {
        if (isZkCode(error, Exception.NO_NODE)) return false;
        // Other sessions may add children (ephemerals) while we delete: go round again.
        if (options.recursive && isZkCode(error, Exception.NOT_EMPTY) && attempt < 5) continue;
        throw toStoreError(error, p, expected);
      }
    }
  }

  async children(path: string): Promise<string[]> {
    const p = validatePath(path);
    try {
      return (await this.run(p, (c) => zk.getChildren(c, this.zk(p)))).sort();
    } catch (error) {
      if (isZkCode(error, Exception.NO_NODE)) return [];
      throw toStoreError(error, p);
    }
  }

  watch(path: string, listener: (event: NodeEvent) => void): Promise<Unsubscribe> {
    return this.startWatch(new NodeWatch(this.watchContext(), validatePath(path), listener));
  }

  watchChildren(path: string, listener: (children: string[]) => void): Promise<Unsubscribe> {
    return this.startWatch(new ChildrenWatch(this.watchContext(), validatePath(path), listener));
  }

  onSessionLost(listener: (reason: string) => void): Unsubscribe {
    this.lostListeners.add(listener);
    return () => void this.lostListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const watch of this.watches) watch.stop();
    this.watches.clear();
    this.failInflight("this store handle is closed; open a new one");
    await this.session.close();
  }

  private async startWatch(watch: Watch): Promise<Unsubscribe> {
    this.ensureOpen();
    this.watches.add(watch);
    try {
      await watch.arm();
    } catch (error) {
      watch.stop();
      this.watches.delete(watch);
      throw toStoreError(error, watch.path);
    }
    return () => {
      watch.stop();
      this.watches.delete(watch);
    };
  }

  private watchContext() {
    return {
      client: () => this.session.client,
      generation: () => this.session.generation,
      zkPath: (p: string) => this.zk(p),
      run: <T>(p: string, fn: (c: zookeeper.Client) => Promise<T>) => this.run(p, fn),
    };
  }

  private async createWithParents(p: string, data: Buffer, mode: number): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      try {
        return fromZkPath(
          this.url.chroot,
          await this.run(p, (c) => zk.create(c, this.zk(p), data, this.acls, mode)),
        );
      } catch (error) {
        if (!isZkCode(error, Exception.NO_NODE) || attempt > 3) throw toStoreError(error, p);
      }
      try {
        await this.run(p, (c) => zk.mkdirp(c, this.zk(parentOf(p)), this.acls));
      } catch (error) {
        if (!isZkCode(error, Exception.NODE_EXISTS)) throw toStoreError(error, parentOf(p));
      }
    }
  }

  /** Runs one operation on the current client, with a timeout and failing fast on a lost session. */
  private run<T>(p: string, fn: (client: zookeeper.Client) => Promise<T>): Promise<T> {
    this.ensureOpen();
    return new Promise<T>((resolve, reject) => {
      const fail = (error: Error): void => {
        clearTimeout(timer);
        this.inflight.delete(fail);
        reject(error);
      };
      const timer = setTimeout(
        () =>
          fail(
            new CaravelError(
              "STORE_UNAVAILABLE",
              `ZooKeeper did not answer within ${this.operationTimeoutMs} ms on ${p}; check the ensemble`,
              { path: p },
            ),
          ),
        this.operationTimeoutMs,
      );
      this.inflight.add(fail);
      fn(this.session.client).then(
        (value) => {
          clearTimeout(timer);
          this.inflight.delete(fail);
          resolve(value);
        },
        (error: unknown) => fail(error as Error),
      );
    });
  }

  private onConnected(fresh: boolean): void {
    // A fresh session has no server-side watches; a resumed one only lacks those whose arming failed.
    for (const watch of this.watches) if (fresh || watch.broken) void watch.arm().catch(() => undefined);
  }

  private onLost(reason: string): void {
    this.failInflight(`the ZooKeeper session was lost (${reason}); retry`);
    for (const listener of [...this.lostListeners]) {
      try {
        listener(reason);
      } catch (error) {
        process.emitWarning(
          `an onSessionLost listener threw: ${(error as Error)?.stack ?? String(error)}`,
          "CaravelStore",
        );
      }
    }
  }

  private failInflight(message: string): void {
    for (const fail of [...this.inflight]) fail(new CaravelError("STORE_UNAVAILABLE", message));
  }

  private zk(p: string): string {
    return toZkPath(this.url.chroot, p);
  }

  private ensureOpen(): void {
    if (this.closed)
      throw new CaravelError("STORE_UNAVAILABLE", "this store handle is closed; open a new one");
  }
}

/** Connects to ZooKeeper: `zk://[user:pass@]host:port[,host:port…][/chroot]`. */
export function createZkStore(url: string, options: ZkStoreOptions = {}): Promise<ZkStore> {
  return ZkStore.open(url, options);
}

export type { Event as ZkEvent };
