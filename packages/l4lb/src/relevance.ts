/**
 * Whether an operator event can change the VIP table, so that caravel-l4lb skips rebuilding the
 * table (O(all tasks)) for the many events that cannot: status changes of tasks that declare no VIP,
 * while agents and frameworks stay the same objects (views copy only the map an event changes).
 */
import { isVipLabelKey, touchedTaskIds, type ClusterView, type TaskView } from "@caravel/api";

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
