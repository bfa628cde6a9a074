/**
 * Whether a status update is older news than what an instance already knows. The agent resends an
 * update until it is acknowledged, so under load a resent TASK_STARTING can reach Marathon after the
 * task's TASK_RUNNING; applying it would leave the instance "starting" for good (the master, which
 * keeps the latest state, says running). A task never goes back to staging or starting once it ran.
 */
export function isStaleUpdate(current: string, next: string): boolean {
  return current === "TASK_RUNNING" && (next === "TASK_STAGING" || next === "TASK_STARTING");
}
