/**
 * The embedded store's in-memory tree: pure data-structure logic with no I/O, so it can be tested
 * deterministically. Every mutation returns the journal records that make it durable and the
 * changes watchers must hear about; the file store writes the former and delivers the latter.
 */
import { CaravelError } from "@caravel/api";
import { ancestorsOf, formatSequence, joinPath, nameOf, parentOf } from "../paths.js";
import type { NodeEvent } from "../store.js";

/** One journal line: set a persistent node's full state, or delete a subtree. Replaying is idempotent. */
export type JournalRecord = { o: "s"; p: string; v: number; d: string; c: number } | { o: "d"; p: string };

/** What a mutation changed. */
export interface Effects {
  readonly records: JournalRecord[];
  readonly events: NodeEvent[];
  /** Paths whose set of children may have changed. */
  readonly childrenChanged: Set<string>;
}

interface TreeNode {
  data: Buffer;
  version: number;
  /** Next sequence number for sequential children. */
  cseq: number;
  /** Session that owns this ephemeral node; undefined for persistent nodes. */
  owner: number | undefined;
  children: Map<string, TreeNode>;
}

const newNode = (data: Buffer, owner?: number): TreeNode => ({
  data,
  version: 0,
  cseq: 0,
  owner,
  children: new Map(),
});
const emptyEffects = (): Effects => ({ records: [], events: [], childrenChanged: new Set() });

/** The node tree with ZooKeeper semantics. Paths passed in are already validated. */
export class Tree {
  private readonly root = newNode(Buffer.alloc(0));

  /** The node at `path`, if any. */
  get(path: string): { data: Buffer; version: number } | undefined {
    const node = this.find(path);
    return node && { data: node.data, version: node.version };
  }

  /** Sorted names of the children of `path` (empty when missing). */
  children(path: string): string[] {
    const node = this.find(path);
    return node ? [...node.children.keys()].sort() : [];
  }

  /** Paths of the ephemeral nodes `owner` holds. */
  ephemeralsOf(owner: number): string[] {
    const out: string[] = [];
    const visit = (node: TreeNode, path: string): void => {
      for (const [name, child] of node.children) {
        const childPath = joinPath(path, name);
        if (child.owner === owner) out.push(childPath);
        else visit(child, childPath);
      }
    };
    visit(this.root, "/");
    return out;
  }

  /** Writes a persistent node's data; see PutOptions for `expectedVersion`. */
  put(path: string, data: Buffer, expectedVersion?: number): { version: number; effects: Effects } {
    const node = this.find(path);
    if (node && expectedVersion === -1)
      throw new CaravelError("STORE_NODE_EXISTS", `store node ${path} already exists`, { path });
    if (expectedVersion !== undefined && expectedVersion >= 0) {
      if (!node)
        throw new CaravelError(
          "STORE_NO_NODE",
          `store node ${path} does not exist (expected version ${expectedVersion})`,
          { path },
        );
      if (node.version !== expectedVersion) throw mismatch(path, expectedVersion, node.version);
    }
    const effects = emptyEffects();
    if (node) {
      node.data = data;
      node.version += 1;
      if (node.owner === undefined) effects.records.push(setRecord(path, node));
      effects.events.push({ type: "changed", path });
      return { version: node.version, effects };
    }
    this.attach(path, newNode(data), effects);
    return { version: 0, effects };
  }

  /** Creates a node, possibly ephemeral (owned by `owner`) and/or sequential; returns its actual path. */
  create(
    path: string,
    data: Buffer,
    options: { ephemeral?: boolean; sequential?: boolean; owner: number },
  ): { path: string; effects: Effects } {
    const effects = emptyEffects();
    const parent = this.ensureParents(path, effects);
    let actual = path;
    if (options.sequential) {
      actual = path + formatSequence(parent.cseq);
      parent.cseq += 1;
      // The counter must survive restarts, or a reopened store would hand out used names again.
      effects.records.push(setRecord(parentOf(path), parent));
    }
    if (parent.children.has(nameOf(actual)))
      throw new CaravelError("STORE_NODE_EXISTS", `store node ${actual} already exists`, { path: actual });
    this.attach(actual, newNode(data, options.ephemeral ? options.owner : undefined), effects);
    return { path: actual, effects };
  }

  /** Deletes a node (and its subtree when `recursive`); `deleted` is false when it was missing. */
  delete(
    path: string,
    options: { expectedVersion?: number; recursive?: boolean },
  ): { deleted: boolean; effects: Effects } {
    const effects = emptyEffects();
    const node = this.find(path);
    if (!node) return { deleted: false, effects };
    if (
      options.expectedVersion !== undefined &&
      options.expectedVersion >= 0 &&
      node.version !== options.expectedVersion
    ) {
      throw mismatch(path, options.expectedVersion, node.version);
    }
    if (node.children.size > 0 && !options.recursive) {
      throw new CaravelError(
        "STORE_NOT_EMPTY",
        `store node ${path} has ${node.children.size} children; delete them first or pass recursive`,
        { path },
      );
    }
    const visit = (n: TreeNode, p: string): void => {
      for (const [name, child] of n.children) visit(child, joinPath(p, name));
      effects.events.push({ type: "deleted", path: p });
      effects.childrenChanged.add(p);
    };
    visit(node, path);
    this.find(parentOf(path))?.children.delete(nameOf(path));
    effects.childrenChanged.add(parentOf(path));
    if (node.owner === undefined) effects.records.push({ o: "d", p: path });
    return { deleted: true, effects };
  }

  /** Applies a journal record while loading (no checks: the journal was written by this code). */
  replay(record: JournalRecord): void {
    if (record.o === "d") {
      this.find(parentOf(record.p))?.children.delete(nameOf(record.p));
      return;
    }
    let node = this.root;
    if (record.p !== "/") {
      for (const segment of [...ancestorsOf(record.p), record.p].map(nameOf)) {
        let child = node.children.get(segment);
        if (!child) node.children.set(segment, (child = newNode(Buffer.alloc(0))));
        node = child;
      }
    }
    node.data = Buffer.from(record.d, "base64");
    node.version = record.v;
    node.cseq = record.c;
  }

  /** Every persistent node as a record, parents first: the content of a snapshot. */
  snapshot(): JournalRecord[] {
    const out: JournalRecord[] = [];
    const visit = (node: TreeNode, path: string): void => {
      if (node.owner !== undefined) return;
      if (path !== "/" || node.version > 0 || node.cseq > 0) out.push(setRecord(path, node));
      // Sorted, so that equal trees give equal snapshots whatever order nodes were created in.
      for (const name of [...node.children.keys()].sort())
        visit(node.children.get(name) as TreeNode, joinPath(path, name));
    };
    visit(this.root, "/");
    return out;
  }

  private find(path: string): TreeNode | undefined {
    if (path === "/") return this.root;
    let node: TreeNode | undefined = this.root;
    for (const segment of path.slice(1).split("/")) {
      node = node.children.get(segment);
      if (!node) return undefined;
    }
    return node;
  }

  /** Creates the missing ancestors of `path` as persistent nodes and returns its parent. */
  private ensureParents(path: string, effects: Effects): TreeNode {
    let node = this.root;
    for (const ancestor of ancestorsOf(path)) {
      const next = node.children.get(nameOf(ancestor));
      if (next) {
        node = next;
        continue;
      }
      node = this.attach(ancestor, newNode(Buffer.alloc(0)), effects);
    }
    if (node.owner !== undefined) {
      throw new CaravelError(
        "INVALID_REQUEST",
        `store node ${parentOf(path)} is ephemeral and cannot have children; put ${nameOf(path)} elsewhere`,
        {
          path,
        },
      );
    }
    return node;
  }

  private attach(path: string, node: TreeNode, effects: Effects): TreeNode {
    const parent = this.ensureParents(path, effects);
    parent.children.set(nameOf(path), node);
    if (node.owner === undefined) effects.records.push(setRecord(path, node));
    effects.events.push({ type: "created", path });
    effects.childrenChanged.add(parentOf(path));
    effects.childrenChanged.add(path);
    return node;
  }
}

function setRecord(path: string, node: TreeNode): JournalRecord {
  return { o: "s", p: path, v: node.version, d: node.data.toString("base64"), c: node.cseq };
}

function mismatch(path: string, expected: number, actual: number): CaravelError {
  return new CaravelError(
    "STORE_VERSION_MISMATCH",
    `store node ${path} is at version ${actual}, not ${expected}; read it again and retry`,
    {
      path,
      details: { expectedVersion: expected, actualVersion: actual },
    },
  );
}
