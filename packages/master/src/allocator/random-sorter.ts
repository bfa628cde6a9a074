/**
 * Weighted random sorter (Mesos' RandomSorter): every `sort()` draws a fresh order in which, at every
 * level of the tree, an item comes first with probability proportional to its weight. Allocations
 * are tracked (for `allocation()` and metrics) but do not influence the order.
 */
import { ClientTree, TreeNode } from "./client-tree.js";
import type { Sorter, SorterOptions } from "./sorter.js";

export class RandomSorter extends ClientTree implements Sorter {
  private readonly random: () => number;
  private out: string[] = [];

  constructor(options: SorterOptions = {}) {
    super(options);
    this.random = options.random ?? Math.random;
  }

  protected structureChanged(): void {}
  protected allocationChanged(_leaf: TreeNode): void {}

  sort(): readonly string[] {
    this.out = [];
    this.emit(this.root);
    return this.out;
  }

  forEachActive(visit: (client: string) => boolean, _enter?: (path: string) => boolean): void {
    for (const client of this.sort()) if (!visit(client)) return;
  }

  private emit(node: TreeNode): void {
    const items: Array<{ item: TreeNode; key: number }> = [];
    // Efraimidis–Spirakis: sorting by u^(1/w) descending is a weighted random permutation.
    if (node.leaf?.active) items.push({ item: node.leaf, key: this.key(node.leaf) });
    for (const child of node.children.values()) if (child.activeLeaves > 0) items.push({ item: child, key: this.key(child) });
    items.sort((a, b) => b.key - a.key);
    for (const { item } of items) {
      if (item.isLeaf) this.out.push(item.path);
      else this.emit(item);
    }
  }

  private key(node: TreeNode): number {
    const w = this.weightOf(node);
    return Math.pow(this.random(), 1 / (w > 0 ? w : 1));
  }
}
