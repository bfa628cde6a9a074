/**
 * Weighted Dominant Resource Fairness sorter (Mesos' DRFSorter): at every level of the tree, live
 * items are ordered by weighted dominant share, then by allocation count, then by path.
 *
 * Why incremental: an allocation cycle over 10,000 agents consults the order once per agent, and
 * each allocation raises one client's share. Instead of re-sorting (Mesos before 1.7.1), the
 * changed item is moved within its parent's chunked order (order-list.ts) in O(chunk + log n). A
 * full rebuild happens only when the structure, weights or cluster totals change.
 */
import { ClientTree, TreeNode } from "./client-tree.js";
import { OrderList } from "./order-list.js";
import type { Sorter, SorterOptions } from "./sorter.js";

export class DrfSorter extends ClientTree implements Sorter {
  private stale = true;
  private flat: string[] | null = null;
  private totalsVersion = -1;

  constructor(options: SorterOptions = {}) {
    super(options);
  }

  protected structureChanged(): void {
    this.stale = true;
    this.flat = null;
  }

  protected allocationChanged(leaf: TreeNode): void {
    if (this.stale || this.totalsVersion !== this.totals.version) {
      this.stale = true;
      this.flat = null;
      return;
    }
    for (let item: TreeNode | null = leaf; item && item.parent; item = item.parent) {
      const order: OrderList | null = item.parent.order;
      // An only child has nobody to be compared with; a new sibling triggers a full rebuild.
      if (!item.live || order === null || order.size === 1) continue;
      item.share = this.shareOf(item);
      if (order.inPlace(item)) continue;
      order.remove(item);
      order.insert(item);
      this.flat = null;
    }
  }

  sort(): readonly string[] {
    this.refresh();
    if (!this.flat) {
      const out: string[] = [];
      this.visit(this.root, (client) => (out.push(client), true));
      this.flat = out;
    }
    return this.flat;
  }

  forEachActive(visit: (client: string) => boolean, enter?: (path: string) => boolean): void {
    this.refresh();
    if (this.flat && !enter) {
      for (const client of this.flat) if (!visit(client)) return;
    } else this.visit(this.root, visit, enter);
  }

  private refresh(): void {
    if (this.totalsVersion !== this.totals.version) {
      this.totalsVersion = this.totals.version;
      this.stale = true;
    }
    if (this.stale) {
      this.rebuild(this.root);
      this.stale = false;
      this.flat = null;
    }
  }

  private rebuild(node: TreeNode): void {
    const items: TreeNode[] = [];
    if (node.leaf?.active) items.push(node.leaf);
    for (const child of node.children.values()) {
      if (child.activeLeaves === 0) {
        child.order = null;
        child.chunk = null;
        continue;
      }
      this.rebuild(child);
      items.push(child);
    }
    for (const item of items) item.share = this.shareOf(item);
    items.sort(compare);
    node.order = new OrderList(compare, items);
  }

  private visit(node: TreeNode, visit: (client: string) => boolean, enter?: (path: string) => boolean): boolean {
    if (!node.order) return true;
    for (const chunk of node.order.chunks) {
      for (let i = 0; i < chunk.length; i++) {
        const item = chunk[i]!;
        // A node holding only its own client (every framework of a flat sorter) needs no descent.
        if (item.isLeaf || item.children.size === 0) {
          if (!visit(item.path)) return false;
        } else if (!enter || enter(item.path)) {
          if (!this.visit(item, visit, enter)) return false;
        }
      }
    }
    return true;
  }
}

function compare(a: TreeNode, b: TreeNode): number {
  if (a.share !== b.share) return a.share - b.share;
  if (a.count !== b.count) return a.count - b.count;
  // A node's own leaf sorts before its children when all else ties (shorter path first).
  return a.path < b.path ? -1 : a.path > b.path ? 1 : a.isLeaf ? -1 : b.isLeaf ? 1 : 0;
}
