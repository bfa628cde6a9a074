/**
 * Which tasks an operator event can have changed, so that the record store looks at those alone
 * instead of diffing every task. `undefined` means "anything may have changed" (a snapshot, agents,
 * frameworks, or an event this function does not know), and the store then diffs everything.
 */
type Json = Record<string, unknown>;

const obj = (v: unknown): Json => (v && typeof v === "object" ? (v as Json) : {});
const value = (v: unknown): string | undefined => {
  const id = obj(v)["value"];
  return typeof id === "string" ? id : undefined;
};

/** Task ids an event touches (TASK_ADDED, TASK_UPDATED), [] for HEARTBEAT, else undefined. */
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
