/**
 * Weighted Dominant Resource Fairness sorter (Mesos' DRFSorter): at every level of the tree, live
 * items are ordered by weighted dominant share, then by allocation count, then by path.
 *
 * Why incremental: an allocation cycle over 10,000 agents calls `sort()` once per agent, and each
 * allocation raises one client's share. Instead of re-sorting (Mesos before 1.7.1), the changed
 * item is moved to its new place in its parent's order by binary insertion, and in a flat tree the
 * returned name array is spliced the same way, so a cycle costs O(agents × clients-moved) memmoves.
 * A full rebuild happens only when the structure, weights or cluster totals change.
 */
import { ClientTree, TreeNode } from "./client-tree.js";
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
    const flatMode = this.deepNodes === 0;
    for (let item: TreeNode | null = leaf; item && item.parent; item = item.parent) {
      const parent: TreeNode = item.parent;
      const order = parent.order;
      if (!item.live || order === null) continue;
      const from = order.indexOf(item);
      if (from < 0) {
        this.stale = true;
        this.flat = null;
        return;
      }
      item.share = this.shareOf(item);
      const prev = order[from - 1];
      const next = order[from + 1];
      if ((!next || compare(next, item) > 0) && (!prev || compare(prev, item) < 0)) continue;
      // splice is a native memmove: far cheaper than shifting items in a JS loop.
      order.splice(from, 1);
      const to = insertionIndex(order, item);
      order.splice(to, 0, item);
      const names = parent === this.root && flatMode ? this.flat : null;
      if (names) {
        names.splice(from, 1);
        names.splice(to, 0, item.path);
      } else this.flat = null;
    }
  }

  sort(): readonly string[] {
    if (this.totalsVersion !== this.totals.version) {
      this.totalsVersion = this.totals.version;
      this.stale = true;
    }
    if (this.stale) {
      this.rebuild(this.root);
      this.stale = false;
      this.flat = null;
    }
    if (!this.flat) {
      const out: string[] = [];
      this.emit(this.root, out);
      this.flat = out;
    }
    return this.flat;
  }

  private rebuild(node: TreeNode): void {
    const items: TreeNode[] = [];
    if (node.leaf?.active) items.push(node.leaf);
    for (const child of node.children.values()) {
      if (child.activeLeaves === 0) {
        child.order = null;
        continue;
      }
      this.rebuild(child);
      items.push(child);
    }
    for (const item of items) item.share = this.shareOf(item);
    items.sort(compare);
    node.order = items;
  }

  private emit(node: TreeNode, out: string[]): void {
    for (const item of node.order ?? []) {
      if (item.isLeaf) out.push(item.path);
      else if (item.children.size === 0 && item.leaf?.active) out.push(item.path);
      else this.emit(item, out);
    }
  }
}

function compare(a: TreeNode, b: TreeNode): number {
  if (a.share !== b.share) return a.share - b.share;
  if (a.count !== b.count) return a.count - b.count;
  // A node's own leaf sorts before its children when all else ties (shorter path first).
  return a.path < b.path ? -1 : a.path > b.path ? 1 : a.isLeaf ? -1 : b.isLeaf ? 1 : 0;
}

function insertionIndex(order: readonly TreeNode[], item: TreeNode): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(order[mid]!, item) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
