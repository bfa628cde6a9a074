/** Small builders for allocator tests (not exported from the package). */
import { parseResources, scalarTotals } from "@caravel/api";
import type { Resource } from "@caravel/api";
import type { Allocation, AllocatorAgent, AllocatorFramework } from "./types.js";

export const res = (spec: string): Resource[] => parseResources(spec);

export const agent = (id: string, spec = "cpus:4;mem:1024;disk:1024;ports:[31000-32000]"): AllocatorAgent => ({ id, hostname: `${id}.example`, total: res(spec) });

export const framework = (id: string, roles: string[] = ["*"], capabilities: string[] = []): AllocatorFramework => ({ id, roles, capabilities });

/** Scalar totals of an allocation's resources, e.g. `{ cpus: 4, mem: 1024 }`. */
export const totalsOf = (a: Allocation | undefined): Record<string, number> => scalarTotals(a?.resources ?? []);

/** Scalars per framework over a set of allocations. */
export function byFramework(allocations: Allocation[]): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const a of allocations) {
    const acc = out.get(a.frameworkId) ?? {};
    for (const [k, v] of Object.entries(totalsOf(a))) acc[k] = (acc[k] ?? 0) + v;
    out.set(a.frameworkId, acc);
  }
  return out;
}
