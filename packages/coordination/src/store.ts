/**
 * The Store of DESIGN.md §4: a small hierarchical key-value store with versions, compare-and-set,
 * watches, and ephemeral and sequential nodes — the ZooKeeper data model, because ZooKeeper is one
 * of the two implementations and Mesos tooling reads what Caravel writes there.
 *
 * Semantics every implementation follows (the contract suite in store.contract.ts checks them):
 * - Paths are absolute and normalised ("/a/b"); see paths.ts. Data is at most 1,000,000 bytes.
 * - A node's version starts at 0 when it is created and goes up by one on every write of its data.
 * - Writes create missing parents as plain persistent nodes with empty data.
 * - Ephemeral nodes belong to the Store handle (session) that created them and vanish when it closes
 *   or loses its session; they cannot have children. Sequential nodes get a 10-digit zero-padded
 *   counter appended to the requested name, increasing per parent.
 * - Watches are persistent (re-armed for you) until unsubscribed, and fire after the change is durable.
 * - After a lost session (ZooKeeper only) the handle reconnects with a new session by itself, keeps
 *   its watches, and calls `onSessionLost` listeners: every ephemeral node it owned is gone, and
 *   their owners (elections, registrations) must create them again.
 */
import type { z } from "zod";

/** A node's data and version. */
export interface NodeData {
  readonly data: Buffer;
  readonly version: number;
}

/** A JSON value read from a node, with the version to pass back for compare-and-set. */
export interface JsonNode<T> {
  readonly value: T;
  readonly version: number;
}

export interface PutOptions {
  /**
   * Compare-and-set: write only if the node's version is this one (STORE_VERSION_MISMATCH otherwise,
   * STORE_NO_NODE if it is missing). `-1` means create-only (STORE_NODE_EXISTS if present).
   * Omitted: create or overwrite.
   */
  readonly expectedVersion?: number;
}

export interface CreateOptions {
  /** The node lives as long as this Store handle's session. */
  readonly ephemeral?: boolean;
  /** Append a 10-digit sequence number to the name; the actual path is returned. */
  readonly sequential?: boolean;
}

export interface DeleteOptions {
  /** Delete only if the node's version is this one (STORE_VERSION_MISMATCH otherwise). */
  readonly expectedVersion?: number;
  /** Also delete the node's descendants (STORE_NOT_EMPTY otherwise, when it has children). */
  readonly recursive?: boolean;
}

/** What happened to a watched node. */
export interface NodeEvent {
  readonly type: "created" | "changed" | "deleted";
  readonly path: string;
}

/** Stops a watch or a listener; calling it twice is harmless. */
export type Unsubscribe = () => void;

export interface UpdateJsonOptions<T> {
  /** Validates what is read; a node that fails it is reported, not silently overwritten. */
  readonly schema?: z.ZodType<T>;
  /** Compare-and-set attempts before giving up with STORE_VERSION_MISMATCH (default 20). */
  readonly maxAttempts?: number;
}

/** A coordination store handle. One handle is one session (it owns its ephemeral nodes). */
export interface Store {
  /** "file" for the embedded store, "zk" for ZooKeeper. */
  readonly kind: "file" | "zk";

  /** The node's data and version, or undefined when it does not exist. */
  get(path: string): Promise<NodeData | undefined>;
  /** Writes a persistent node (see PutOptions for compare-and-set) and returns its new version. */
  put(path: string, data: Buffer, options?: PutOptions): Promise<number>;
  /** Creates a node (STORE_NODE_EXISTS if present, unless sequential) and returns its actual path. */
  create(path: string, data: Buffer, options?: CreateOptions): Promise<string>;
  /** Deletes a node; false when it did not exist. */
  delete(path: string, options?: DeleteOptions): Promise<boolean>;
  /** Names of the node's children, sorted; empty when the node does not exist. */
  children(path: string): Promise<string[]>;

  /** Calls `listener` whenever the node is created, changed or deleted. Resolves once armed. */
  watch(path: string, listener: (event: NodeEvent) => void): Promise<Unsubscribe>;
  /**
   * Calls `listener` with the sorted children once armed, then on every change of the set
   * (an empty list while the node does not exist). Resolves once armed.
   */
  watchChildren(path: string, listener: (children: string[]) => void): Promise<Unsubscribe>;
  /** Calls `listener` when this handle loses its session (its ephemeral nodes are gone). */
  onSessionLost(listener: (reason: string) => void): Unsubscribe;

  /** Reads a JSON node; STORE_CORRUPT-style INTERNAL error naming the path if it does not parse. */
  getJson<T = unknown>(path: string, schema?: z.ZodType<T>): Promise<JsonNode<T> | undefined>;
  /** Writes a JSON node (compact), with the same options as `put`. */
  putJson(path: string, value: unknown, options?: PutOptions): Promise<number>;
  /**
   * Read-modify-write with compare-and-set, retried on conflicts. `fn` gets the current value
   * (undefined when missing) and returns the new one, or undefined to leave the node as it is.
   * Resolves with what is stored afterwards (undefined when the node is still missing).
   */
  updateJson<T>(
    path: string,
    fn: (current: T | undefined) => T | undefined,
    options?: UpdateJsonOptions<T>,
  ): Promise<JsonNode<T> | undefined>;

  /** Ends the session: drops its ephemeral nodes and watches. Later calls fail with STORE_UNAVAILABLE. */
  close(): Promise<void>;
}
