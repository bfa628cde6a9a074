/**
 * Whether an operator event can change the VIP table, so that caravel-l4lb skips rebuilding the
 * table (O(all tasks)) for the many events that cannot: status changes of tasks that declare no VIP,
 * while agents and frameworks stay the same objects (views copy only the map an event changes).
 */
import { isVipLabelKey, type ClusterView, type TaskView } from "@caravel/api";

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === "object" ? (v as Json) : {});
const value = (v: unknown): string | undefined => {
  const id = obj(v)["value"];
  return typeof id === "string" ? id : undefined;
};

/** Task ids an event touches (TASK_ADDED, TASK_UPDATED), [] for HEARTBEAT, else undefined (anything). */
export function touchedTaskIds(event: unknown): string[] | undefined {
  const e = obj(event);
  switch (e["type"]) {
    case "HEARTBEAT":
      return [];
    case "TASK_ADDED": {
      const id = value(obj(obj(e["task_added"])["task"])["task_id"]);
      return id === undefined ? undefined : [id];
    }
    case "TASK_UPDATED": {
      const id = value(obj(obj(e["task_updated"])["status"])["task_id"]);
      return id === undefined ? undefined : [id];
    }
    default:
      return undefined;
  }
}

/** Whether a task carries any VIP declaration (port label `VIP*`/`vip*`, or task label `VIP_PORT<n>`). */
export const declaresVips = (task: TaskView | undefined): boolean =>
  task !== undefined && (task.discovery?.ports.some((p) => p.labels.some((l) => isVipLabelKey(l.key))) === true || task.labels.some((l) => /^VIP_PORT\d+$/.test(l.key)));

/** False only when `event` (which turned `before` into `after`) provably leaves the VIP table as it was. */
export function mayChangeVips(before: ClusterView, after: ClusterView, event: unknown): boolean {
  if (before.agents !== after.agents || before.frameworks !== after.frameworks) return true;
  const ids = touchedTaskIds(event);
  if (ids === undefined) return true;
  return ids.some((id) => declaresVips(before.tasks.get(id)) || declaresVips(after.tasks.get(id)));
}
