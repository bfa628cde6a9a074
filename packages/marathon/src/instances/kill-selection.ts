/**
 * Which instances to kill when an app scales down or sheds extras: the least useful first
 * (unreachable, staging/starting, unhealthy), then by age as `killSelection` says.
 */
import type { AppDefinition } from "@caravel/api";
import type { Instance } from "./instance.js";

function usefulness(i: Instance): number {
  if (i.state === "TASK_UNREACHABLE" || i.state === "TASK_UNKNOWN") return 0;
  if (i.state === "TASK_STAGING" || i.state === "TASK_STARTING") return 1;
  if (i.healthy === false) return 2;
  return 3;
}

/** Picks `count` victims among `instances`. */
export function selectVictims(instances: readonly Instance[], count: number, killSelection: AppDefinition["killSelection"]): Instance[] {
  if (count <= 0) return [];
  const byAge = killSelection === "OLDEST_FIRST" ? (a: Instance, b: Instance) => a.stagedAt - b.stagedAt : (a: Instance, b: Instance) => b.stagedAt - a.stagedAt;
  return [...instances].sort((a, b) => usefulness(a) - usefulness(b) || byAge(a, b) || a.instanceId.localeCompare(b.instanceId)).slice(0, count);
}
