/**
 * Persistent watches on top of ZooKeeper's one-shot ones. Each watch re-arms itself when it fires
 * and reconciles what it last saw with what it finds, so that changes made between the firing and
 * the re-arming are not lost, and so that a watch re-armed on a new session reports what changed
 * while there was none. A token per arming lets stale one-shot callbacks be ignored.
 */
import type { Client, Event } from "node-zookeeper-client";
import zookeeper from "node-zookeeper-client";
import { notifyWatcher } from "../notify.js";
import type { NodeEvent } from "../store.js";
import { isZkCode } from "./ops.js";

const { Exception } = zookeeper;
const EventType = zookeeper.Event;

/** What a watch needs from its store. */
export interface WatchContext {
  client(): Client;
  generation(): number;
  zkPath(path: string): string;
  run<T>(path: string, fn: (client: Client) => Promise<T>): Promise<T>;
}

export interface Watch {
  readonly path: string;
  /** True when the last arming failed (the next connection must retry it). */
  readonly broken: boolean;
  arm(): Promise<void>;
  stop(): void;
}

abstract class BaseWatch implements Watch {
  broken = false;
  protected stopped = false;
  private token = 0;

  constructor(
    protected readonly ctx: WatchContext,
    readonly path: string,
  ) {}

  async arm(): Promise<void> {
    if (this.stopped) return;
    const token = ++this.token;
    const watcher = (event: Event): void => {
      if (token === this.token && !this.stopped) void this.fired(event).catch(() => undefined);
    };
    try {
      await this.read(watcher);
      this.broken = false;
    } catch (error) {
      this.broken = true;
      throw error;
    }
  }

  stop(): void {
    this.stopped = true;
    this.token += 1;
  }

  /** Reads the current state, leaving `watcher` armed, and reports differences. */
  protected abstract read(watcher: (event: Event) => void): Promise<void>;

  private async fired(event: Event): Promise<void> {
    this.onEvent(event);
    await this.arm().catch(() => this.retryLater());
  }

  /** Re-arming failed (a slow server, a lost connection): try again until it works or stops. */
  private retryLater(): void {
    const timer = setTimeout(() => {
      if (this.broken && !this.stopped) void this.arm().catch(() => this.retryLater());
    }, 1000);
    timer.unref();
  }

  protected onEvent(_event: Event): void {}
}

/** Watches one node's existence and data. */
export class NodeWatch extends BaseWatch {
  private version: number | undefined;
  private known = false;
  private pending: NodeEvent["type"] | undefined;

  constructor(
    ctx: WatchContext,
    path: string,
    private readonly listener: (event: NodeEvent) => void,
  ) {
    super(ctx, path);
  }

  protected override onEvent(event: Event): void {
    const type = event.getType();
    this.pending =
      type === EventType.NODE_CREATED
        ? "created"
        : type === EventType.NODE_DELETED
          ? "deleted"
          : type === EventType.NODE_DATA_CHANGED
            ? "changed"
            : undefined;
  }

  protected async read(watcher: (event: Event) => void): Promise<void> {
    const stat = await this.ctx.run(this.path, (c) => this.existsWatched(c, watcher));
    const now = stat?.version;
    const hint = this.pending;
    this.pending = undefined;
    if (this.known) this.report(this.version, now, hint);
    this.version = now;
    this.known = true;
  }

  private existsWatched(c: Client, watcher: (event: Event) => void) {
    return new Promise<{ version: number } | undefined>((resolve, reject) =>
      c.exists(this.ctx.zkPath(this.path), watcher, (error, stat) =>
        error ? reject(error) : resolve(stat ?? undefined),
      ),
    );
  }

  /** Turns (before, after, what ZooKeeper said) into the events a listener should see. */
  private report(
    before: number | undefined,
    after: number | undefined,
    hint: NodeEvent["type"] | undefined,
  ): void {
    const events: NodeEvent["type"][] = [];
    if (before === undefined && after !== undefined) events.push("created");
    else if (before !== undefined && after === undefined) events.push("deleted");
    else if (before !== undefined && after !== undefined) {
      if (hint === "deleted" || hint === "created") events.push("deleted", "created");
      else if (before !== after || hint === "changed") events.push("changed");
    }
    for (const type of events) notifyWatcher(() => this.listener({ type, path: this.path }));
  }
}

/** Watches one node's set of children (empty while the node is missing). */
export class ChildrenWatch extends BaseWatch {
  private last: string | undefined;

  constructor(
    ctx: WatchContext,
    path: string,
    private readonly listener: (children: string[]) => void,
  ) {
    super(ctx, path);
  }

  protected async read(watcher: (event: Event) => void): Promise<void> {
    const zkPath = this.ctx.zkPath(this.path);
    let children: string[] | undefined;
    while (children === undefined) {
      try {
        children = await this.ctx.run(this.path, (c) => childrenWatched(c, zkPath, watcher));
      } catch (error) {
        if (!isZkCode(error, Exception.NO_NODE)) throw error;
        // Missing node: wait for its creation instead; if it appeared meanwhile, list it again.
        const stat = await this.ctx.run(this.path, (c) => existsWatched(c, zkPath, watcher));
        if (stat === undefined) children = [];
      }
    }
    children.sort();
    const key = children.join("/");
    if (key === this.last) return;
    this.last = key;
    notifyWatcher(() => this.listener(children));
  }
}

function childrenWatched(c: Client, path: string, watcher: (event: Event) => void): Promise<string[]> {
  return new Promise((resolve, reject) =>
    c.getChildren(path, watcher, (error, children) => (error ? reject(error) : resolve(children))),
  );
}

function existsWatched(c: Client, path: string, watcher: (event: Event) => void): Promise<unknown> {
  return new Promise((resolve, reject) =>
    c.exists(path, watcher, (error, stat) => (error ? reject(error) : resolve(stat ?? undefined))),
  );
}
