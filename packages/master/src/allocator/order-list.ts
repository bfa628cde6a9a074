/**
 * A sorted list of tree items kept in chunks of at most 2 × CHUNK (a one-level B-tree). Moving one
 * item costs O(CHUNK + log n) instead of the O(n) memmove of one flat array: an allocation cycle
 * over 10,000 agents moves a framework once per offer, among 1,000–2,000 siblings.
 */
import type { TreeNode } from "./client-tree.js";

const CHUNK = 32;

export type Compare = (a: TreeNode, b: TreeNode) => number;

export class OrderList {
  /** In order; read-only outside this class (exposed so that hot loops need no callback). */
  chunks: TreeNode[][] = [];
  private count = 0;

  constructor(
    private readonly compare: Compare,
    sorted: readonly TreeNode[] = [],
  ) {
    for (let i = 0; i < sorted.length; i += CHUNK) this.chunks.push(sorted.slice(i, i + CHUNK));
    for (const chunk of this.chunks) for (const item of chunk) item.chunk = chunk;
    this.count = sorted.length;
  }

  get size(): number {
    return this.count;
  }

  has(item: TreeNode): boolean {
    return item.chunk !== null && this.chunks.includes(item.chunk);
  }

  /** Visits items in order until `visit` returns false; returns false if it was stopped. */
  forEach(visit: (item: TreeNode) => boolean): boolean {
    for (const chunk of this.chunks) for (let i = 0; i < chunk.length; i++) if (!visit(chunk[i]!)) return false;
    return true;
  }

  toArray(): TreeNode[] {
    return this.chunks.flat();
  }

  remove(item: TreeNode): void {
    const chunk = item.chunk;
    if (!chunk) return;
    const i = chunk.indexOf(item);
    if (i < 0) return;
    chunk.splice(i, 1);
    item.chunk = null;
    this.count--;
    if (chunk.length === 0) this.chunks.splice(this.chunks.indexOf(chunk), 1);
  }

  insert(item: TreeNode): void {
    this.count++;
    if (this.chunks.length === 0) {
      const chunk = [item];
      item.chunk = chunk;
      this.chunks.push(chunk);
      return;
    }
    // The first chunk whose last item sorts after the new one (else the last chunk).
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = this.chunks[mid]!;
      if (this.compare(chunk[chunk.length - 1]!, item) < 0) lo = mid + 1;
      else hi = mid;
    }
    const chunk = this.chunks[lo]!;
    let a = 0;
    let b = chunk.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (this.compare(chunk[mid]!, item) <= 0) a = mid + 1;
      else b = mid;
    }
    chunk.splice(a, 0, item);
    item.chunk = chunk;
    if (chunk.length > 2 * CHUNK) {
      const tail = chunk.splice(CHUNK);
      for (const moved of tail) moved.chunk = tail;
      this.chunks.splice(lo + 1, 0, tail);
    }
  }

  /** Whether `item` is still in order relative to its neighbours (then a move is not needed). */
  inPlace(item: TreeNode): boolean {
    const chunk = item.chunk;
    if (!chunk) return false;
    const i = chunk.indexOf(item);
    const prev = i > 0 ? chunk[i - 1] : this.neighbourChunk(chunk, -1)?.at(-1);
    const next = i < chunk.length - 1 ? chunk[i + 1] : this.neighbourChunk(chunk, 1)?.[0];
    return (!prev || this.compare(prev, item) < 0) && (!next || this.compare(next, item) > 0);
  }

  private neighbourChunk(chunk: TreeNode[], d: 1 | -1): TreeNode[] | undefined {
    if (d === -1 && this.chunks[0] === chunk) return undefined;
    if (d === 1 && this.chunks[this.chunks.length - 1] === chunk) return undefined;
    return this.chunks[this.chunks.indexOf(chunk) + d];
  }
}
