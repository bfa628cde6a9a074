/** Public shapes of the hierarchical allocator (what the master passes in and gets back). */
import type { Attribute, Resource } from "@caravel/api";

export interface AllocatorOptions {
  /** Sorter for both levels (`--role_sorter`/`--framework_sorter`); default "drf". */
  sorter?: "drf" | "random";
  /** An offer must satisfy at least one set; default `[{cpus:0.01},{mem:32}]`; `[]` = any non-empty offer. */
  minAllocatable?: Array<Record<string, number>>;
  /** Resource names left out of dominant shares (`--fair_sharing_excluded_resource_names`). */
  fairnessExcludedResourceNames?: string[];
  /** Random source in [0, 1): agent order and the random sorter. Default: a fixed-seed PRNG. */
  random?: () => number;
  /** `--filter_gpu_resources`: GPU agents only to GPU_RESOURCES frameworks (default true). */
  filterGpuResources?: boolean;
  /** Default allocation interval (ms) used to stretch refusal filters (default 1000). */
  allocationIntervalMs?: number;
  /**
   * Testing only: visit every agent fully in every cycle, without the skip cache of idle agents and
   * without newcomer-only visits. Allocations must come out the same either way.
   */
  fullVisits?: boolean;
}

export interface AllocatorAgent {
  id: string;
  hostname: string;
  total: Resource[];
  attributes?: Attribute[];
  capabilities?: string[];
}

export interface AllocatorFramework {
  id: string;
  roles: string[];
  /** FrameworkInfo capability types, e.g. GPU_RESOURCES, MULTI_ROLE. */
  capabilities: string[];
  suppressedRoles?: string[];
  /** Per-role `offer_filters.min_allocatable_resources` (replaces the global sets for that role). */
  minAllocatable?: Record<string, Array<Record<string, number>>>;
}

/** One offer's worth: everything given to one framework, for one role, on one agent in one cycle. */
export interface Allocation {
  frameworkId: string;
  agentId: string;
  role: string;
  /**
   * Each with `allocation_info: { role }`. The array is the caller's, but the resource objects may
   * be shared with other allocations of the same resources: treat them as immutable.
   */
  resources: Resource[];
}

export interface QuotaSpec {
  guarantees?: Record<string, number>;
  limits?: Record<string, number>;
}

export interface RoleInfo {
  name: string;
  weight: number;
  /** Active and inactive frameworks subscribed to this role. */
  frameworks: string[];
  /** Scalars allocated (offered or in use) to the role and its subroles. */
  allocated: Record<string, number>;
  /** Scalars reserved to the role and its subroles (allocated or not). */
  reserved: Record<string, number>;
  /** Weighted dominant share among roles. */
  share: number;
  quota?: QuotaSpec & { consumed: Record<string, number> };
}

export interface AllocatorMetrics {
  allocationRuns: number;
  /** Duration of the last run, when the caller reports it (`recordRunDuration`). */
  lastRunMs?: number;
  /** `now` of the last run. */
  lastRunAt?: number;
  /** Allocations made by the last run / by all runs. */
  lastOffers: number;
  totalOffers: number;
  /** Agents the last run skipped without looking (unchanged since fully filtered). */
  lastSkippedAgents: number;
  agents: number;
  activeAgents: number;
  frameworks: number;
  activeFrameworks: number;
  /** Refusal filters currently installed (expired ones are dropped lazily). */
  filters: number;
  /** Cluster totals and allocated scalars by name. */
  total: Record<string, number>;
  allocated: Record<string, number>;
}
