/** The hierarchical DRF allocator and its sorters (mesos-core.md §6). */
export { HierarchicalAllocator } from "./hierarchical.js";
export type { Allocation, AllocatorAgent, AllocatorFramework, AllocatorMetrics, AllocatorOptions, QuotaSpec, RoleInfo } from "./types.js";
export type { Sorter, SorterOptions, Quantities } from "./sorter.js";
export { ClusterTotals, dominantShare } from "./sorter.js";
export { DrfSorter } from "./drf-sorter.js";
export { RandomSorter } from "./random-sorter.js";
export { seededRandom } from "./random.js";
export { offerMemo, withoutAllocationInfo } from "./wire-form.js";
