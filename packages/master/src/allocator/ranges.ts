/**
 * Linear-time operations on normalized range lists (sorted by `begin`, disjoint, non-adjacent), the
 * form every bag keeps. The generic helpers in @caravel/api re-sort their inputs on every call,
 * which dominated allocation cycles over 10,000 agents with 16-range port sets.
 */
import type { Range } from "@caravel/api";

/** a ∪ b. */
export function rangesUnion(a: readonly Range[], b: readonly Range[]): Range[] {
  if (a.length === 0) return b.slice();
  if (b.length === 0) return a.slice();
  const out: Range[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const next = j >= b.length || (i < a.length && a[i]!.begin <= b[j]!.begin) ? a[i++]! : b[j++]!;
    const last = out[out.length - 1];
    if (last && next.begin <= last.end + 1) {
      if (next.end > last.end) last.end = next.end;
    } else out.push({ begin: next.begin, end: next.end });
  }
  return out;
}

/** a − b. */
export function rangesMinus(a: readonly Range[], b: readonly Range[]): Range[] {
  if (b.length === 0 || a.length === 0) return a.slice();
  const out: Range[] = [];
  let j = 0;
  for (const r of a) {
    let begin = r.begin;
    const end = r.end;
    while (j < b.length && b[j]!.end < begin) j++;
    let k = j;
    while (k < b.length && b[k]!.begin <= end) {
      const cut = b[k]!;
      if (cut.begin > begin) out.push({ begin, end: cut.begin - 1 });
      begin = Math.max(begin, cut.end + 1);
      if (begin > end) break;
      k++;
    }
    if (begin <= end) out.push({ begin, end });
  }
  return out;
}

/** Whether every range of `inner` lies inside `outer`. */
export function rangesSubset(inner: readonly Range[], outer: readonly Range[]): boolean {
  let j = 0;
  for (const r of inner) {
    while (j < outer.length && outer[j]!.end < r.begin) j++;
    const o = outer[j];
    if (o === undefined || o.begin > r.begin || o.end < r.end) return false;
  }
  return true;
}
