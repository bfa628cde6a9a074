/**
 * Bookkeeping shared by the DRF and random sorters: the tree of client paths, activity, weights and
 * allocations. Ordering is left to subclasses.
 *
 * Every path "a/b" has a structural node; the client itself is a separate leaf under its node (so
 * that "a" can be a client and the parent of "a/b" at once, like Mesos' virtual "." leaf). A node's
 * allocation is the sum over its subtree; a node is *live* when its subtree holds an active client.
 */
import type { OrderList } from "./order-list.js";
import { addInto, ClusterTotals, dominantShare } from "./sorter.js";
import type { Quantities, Sorter, SorterOptions } from "./sorter.js";

export class TreeNode {
  readonly children = new Map<string, TreeNode>();
  /** The client leaf of this path, if the path is a client. */
  leaf: TreeNode | undefined;
  readonly alloc: number[] = [];
  /** Allocations ever made (Mesos breaks share ties with it; never decremented). */
  count = 0;
  active = false;
  activeLeaves = 0;
  share = 0;
  /** Live items (children and own leaf) in allocation order; null = rebuild on next sort. */
  order: OrderList | null = null;
  /** The chunk of the parent's order holding this item. */
  chunk: TreeNode[] | null = null;

  constructor(
    readonly path: string,
    readonly parent: TreeNode | null,
    readonly isLeaf: boolean,
  ) {}

  get live(): boolean {
    return this.isLeaf ? this.active : this.activeLeaves > 0;
  }
}

export abstract class ClientTree implements Omit<Sorter, "sort" | "forEachActive"> {
  readonly totals: ClusterTotals;
  protected readonly root = new TreeNode("", null, false);
  protected readonly leaves = new Map<string, TreeNode>();
  protected readonly weights = new Map<string, number>();
  protected readonly hierarchical: boolean;
  protected readonly excluded: ReadonlySet<number> | undefined;
  /** Structural nodes below the top level; 0 means the tree is flat. */
  protected deepNodes = 0;

  constructor(options: SorterOptions = {}) {
    this.totals = options.totals ?? new ClusterTotals();
    this.hierarchical = options.hierarchical ?? false;
    this.excluded = options.excludedNameIds && options.excludedNameIds.size > 0 ? options.excludedNameIds : undefined;
  }

  /** Called when the set of live clients or the tree's shape changes. */
  protected abstract structureChanged(): void;
  /** Called after a client's allocation changed (the leaf and its ancestors are updated). */
  protected abstract allocationChanged(leaf: TreeNode): void;

  add(client: string): void {
    if (this.leaves.has(client)) return;
    const node = this.nodeFor(client);
    const leaf = new TreeNode(client, node, true);
    node.leaf = leaf;
    this.leaves.set(client, leaf);
    this.structureChanged();
  }

  remove(client: string): void {
    const leaf = this.leaves.get(client);
    if (!leaf) return;
    if (leaf.active) this.setActive(leaf, false);
    this.propagate(leaf, [...this.leafAlloc(leaf)], -1, false);
    this.leaves.delete(client);
    let node: TreeNode | null = leaf.parent;
    node!.leaf = undefined;
    while (node && node !== this.root && node.leaf === undefined && node.children.size === 0) {
      node.parent!.children.delete(node.path);
      if (node.parent !== this.root) this.deepNodes--;
      node = node.parent;
    }
    this.structureChanged();
  }

  contains(client: string): boolean {
    return this.leaves.has(client);
  }

  activate(client: string): void {
    const leaf = this.leaves.get(client);
    if (leaf && !leaf.active) this.setActive(leaf, true);
  }

  deactivate(client: string): void {
    const leaf = this.leaves.get(client);
    if (leaf && leaf.active) this.setActive(leaf, false);
  }

  isActive(client: string): boolean {
    return this.leaves.get(client)?.active ?? false;
  }

  updateWeight(path: string, weight: number): void {
    if (weight === 1) this.weights.delete(path);
    else this.weights.set(path, weight);
    this.structureChanged();
  }

  allocated(client: string, q: Quantities): void {
    const leaf = this.leaves.get(client);
    if (!leaf) throw new Error(`sorter: unknown client ${client}`);
    this.propagate(leaf, q, 1, true);
    this.allocationChanged(leaf);
  }

  unallocated(client: string, q: Quantities): void {
    const leaf = this.leaves.get(client);
    if (!leaf) throw new Error(`sorter: unknown client ${client}`);
    this.propagate(leaf, q, -1, false);
    this.allocationChanged(leaf);
  }

  allocation(path: string): Quantities {
    return this.leaves.get(path)?.parent?.alloc ?? this.find(path)?.alloc ?? [];
  }

  share(path: string): number {
    const node = this.leaves.get(path)?.parent ?? this.find(path);
    return node ? this.shareOf(node) : 0;
  }

  count(): number {
    return this.leaves.size;
  }

  protected weightOf(node: TreeNode): number {
    return this.weights.get(node.path) ?? 1;
  }

  protected shareOf(node: TreeNode): number {
    return dominantShare(node.alloc, this.totals.values, this.weightOf(node), this.excluded);
  }

  /**
   * A leaf whose node has no children would hold the same numbers as its node (every client of a
   * flat sorter): only the node is kept up to date then, and the leaf is synced when a child appears.
   */
  private leafAlloc(leaf: TreeNode): number[] {
    return leaf.parent!.children.size === 0 ? leaf.parent!.alloc : leaf.alloc;
  }

  private propagate(leaf: TreeNode, delta: Quantities, sign: 1 | -1, counts: boolean): void {
    const from = leaf.parent!.children.size === 0 ? leaf.parent : leaf;
    // Giving back a node's own vector (e.g. on remove) must not change it while it is read.
    for (let n: TreeNode | null = from; n && n !== this.root; n = n.parent) if (n.alloc === delta) delta = [...delta];
    for (let n: TreeNode | null = from; n && n !== this.root; n = n.parent) {
      addInto(n.alloc, delta, sign);
      if (counts) n.count++;
    }
  }

  private setActive(leaf: TreeNode, active: boolean): void {
    leaf.active = active;
    const d = active ? 1 : -1;
    for (let n = leaf.parent; n; n = n.parent) n.activeLeaves += d;
    this.structureChanged();
  }

  private find(path: string): TreeNode | undefined {
    if (!this.hierarchical) return this.root.children.get(path);
    let node: TreeNode | undefined = this.root;
    let prefix = "";
    for (const part of path.split("/")) {
      prefix = prefix === "" ? part : `${prefix}/${part}`;
      node = node?.children.get(prefix);
    }
    return node;
  }

  private nodeFor(path: string): TreeNode {
    const parts = this.hierarchical ? path.split("/") : [path];
    let node = this.root;
    let prefix = "";
    for (const part of parts) {
      prefix = prefix === "" ? part : `${prefix}/${part}`;
      let child = node.children.get(prefix);
      if (!child) {
        if (node.children.size === 0 && node.leaf) {
          // The node's own client stops sharing the node's numbers (see leafAlloc).
          node.leaf.alloc.length = 0;
          node.leaf.alloc.push(...node.alloc);
          node.leaf.count = node.count;
        }
        child = new TreeNode(prefix, node, false);
        node.children.set(prefix, child);
        if (node !== this.root) this.deepNodes++;
      }
      node = child;
    }
    return node;
  }
}
