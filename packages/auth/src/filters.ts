/**
 * Response filters that hide what an identity may not read: Marathon apps, groups, tasks,
 * deployments, queue entries and events, and Mesos master/agent state. Pure functions over parsed
 * JSON; unknown shapes pass through untouched rather than failing.
 */
import { isAllowed, mayReachBelow, serviceResource, type Identity } from "./permissions.js";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const canRead = (identity: Identity, appId: unknown) => typeof appId === "string" && isAllowed(identity, serviceResource(appId), "read");

/**
 * The Marathon app id a Mesos task belongs to: its `MARATHON_APP_ID` label when present, else
 * decoded from Marathon's task id (`team-a_web.<uuid>` or `team-a_web.instance-<uuid>._app.1`).
 */
export function appIdOfTask(task: Json): string | undefined {
  const labels = Array.isArray(task["labels"]) ? task["labels"] : isObject(task["labels"]) && Array.isArray(task["labels"]["labels"]) ? task["labels"]["labels"] : [];
  for (const label of labels as Json[]) if (label?.["key"] === "MARATHON_APP_ID" && typeof label["value"] === "string") return label["value"];
  const id = typeof task["id"] === "string" ? task["id"] : isObject(task["task_id"]) ? task["task_id"]["value"] : undefined;
  return typeof id === "string" ? appIdOfTaskId(id) : undefined;
}

/** Decodes Marathon's task id into its app id; undefined when the id is not Marathon's. */
export function appIdOfTaskId(taskId: string): string | undefined {
  const m = /^(.+?)\.(?:instance-|marathon-)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?:\._app\.\d+)?$/i.exec(taskId);
  return m ? "/" + m[1]!.replace(/_/g, "/") : undefined;
}

/** The app id whose sandbox a Mesos files path points into (`…/executors/<task id>/runs/…`). */
export function appIdOfSandboxPath(path: string): string | undefined {
  const m = /\/executors\/([^/]+)(?:\/|$)/.exec(path);
  return m ? appIdOfTaskId(decodeURIComponent(m[1]!)) : undefined;
}

/** `GET /v2/apps` → only the readable apps. */
export function filterMarathonApps(identity: Identity, body: unknown): unknown {
  if (!isObject(body) || !Array.isArray(body["apps"])) return body;
  return { ...body, apps: body["apps"].filter((app) => isObject(app) && canRead(identity, app["id"])) };
}

/** `GET /v2/groups` → the group tree pruned to readable apps and groups that lead to them. */
export function filterMarathonGroup(identity: Identity, group: unknown): unknown {
  if (!isObject(group)) return group;
  const id = typeof group["id"] === "string" ? group["id"] : "/";
  if (isAllowed(identity, serviceResource(id), "read")) return group;
  const apps = Array.isArray(group["apps"]) ? group["apps"].filter((a) => isObject(a) && canRead(identity, a["id"])) : group["apps"];
  const groups = Array.isArray(group["groups"])
    ? group["groups"].filter((g) => isObject(g) && mayReachBelow(identity, serviceResource(String(g["id"] ?? "")), "read")).map((g) => filterMarathonGroup(identity, g))
    : group["groups"];
  return { ...group, apps, groups, ...(Array.isArray(group["pods"]) ? { pods: group["pods"].filter((p) => isObject(p) && canRead(identity, p["id"])) } : {}) };
}

/** `GET /v2/tasks` → readable tasks only. */
export function filterMarathonTasks(identity: Identity, body: unknown): unknown {
  if (!isObject(body) || !Array.isArray(body["tasks"])) return body;
  return { ...body, tasks: body["tasks"].filter((t) => isObject(t) && canRead(identity, t["appId"])) };
}

/** `GET /v2/deployments` → deployments whose affected apps are all readable. */
export function filterMarathonDeployments(identity: Identity, body: unknown): unknown {
  if (!Array.isArray(body)) return body;
  return body.filter((d) => isObject(d) && Array.isArray(d["affectedApps"]) && d["affectedApps"].every((a) => canRead(identity, a)));
}

/** `GET /v2/queue` → queue entries of readable apps. */
export function filterMarathonQueue(identity: Identity, body: unknown): unknown {
  if (!isObject(body) || !Array.isArray(body["queue"])) return body;
  return { ...body, queue: body["queue"].filter((q) => isObject(q) && canRead(identity, (isObject(q["app"]) ? q["app"] : isObject(q["pod"]) ? q["pod"] : {})["id"])) };
}

/** Every app id a Marathon event mentions. */
export function appIdsOfEvent(event: unknown): string[] {
  if (!isObject(event)) return [];
  const ids = new Set<string>();
  for (const key of ["appId", "runSpecId", "podId"]) if (typeof event[key] === "string") ids.add(event[key]);
  for (const key of ["instanceId", "taskId"]) {
    const decoded = typeof event[key] === "string" ? appIdOfTaskId(event[key]) : undefined;
    if (decoded) ids.add(decoded);
  }
  if (isObject(event["appDefinition"]) && typeof event["appDefinition"]["id"] === "string") ids.add(event["appDefinition"]["id"]);
  const plan = isObject(event["plan"]) ? event["plan"] : undefined;
  const steps = [...(Array.isArray(plan?.["steps"]) ? plan["steps"] : []), ...(isObject(event["currentStep"]) ? [event["currentStep"]] : [])];
  for (const step of steps) {
    const actions = isObject(step) && Array.isArray(step["actions"]) ? step["actions"] : [];
    for (const a of actions) if (isObject(a) && typeof a["app"] === "string") ids.add(a["app"]);
  }
  return [...ids];
}

/**
 * Whether a Marathon event may be shown: every app it mentions must be readable, and a group it
 * names must be readable or contain something readable.
 */
export function mayReadEvent(identity: Identity, event: unknown): boolean {
  if (isObject(event) && typeof event["groupId"] === "string" && !mayReachBelow(identity, serviceResource(event["groupId"]), "read")) return false;
  return appIdsOfEvent(event).every((id) => canRead(identity, id));
}

export interface MesosFilterOptions {
  /** Framework names whose tasks are Marathon apps (filtered per app). Others are one service each. */
  marathonFrameworks?: readonly string[];
}

/**
 * Mesos master or agent state (`/master/state`, `/state`, `/master/tasks`, `/master/frameworks`,
 * `/master/state-summary`) with only readable tasks and frameworks. A framework counts as the
 * service `/<name>`; Marathon's tasks are checked per app.
 */
export function filterMesosState(identity: Identity, state: unknown, options: MesosFilterOptions = {}): unknown {
  if (identity.superuser || !isObject(state)) return state;
  const marathon = new Set(options.marathonFrameworks ?? ["marathon"]);
  const names = new Map<string, string>();
  for (const f of [...asArray(state["frameworks"]), ...asArray(state["completed_frameworks"])]) if (isObject(f)) names.set(String(f["id"]), String(f["name"] ?? ""));
  const taskVisible = (t: unknown, frameworkName?: string): boolean => {
    if (!isObject(t)) return false;
    const name = frameworkName ?? names.get(String(t["framework_id"])) ?? "";
    if (!marathon.has(name)) return isAllowed(identity, serviceResource(name), "read");
    return canRead(identity, appIdOfTask(t));
  };
  const filterFramework = (f: unknown): unknown => {
    if (!isObject(f)) return undefined;
    const name = String(f["name"] ?? "");
    const out: Json = { ...f };
    for (const key of ["tasks", "unreachable_tasks", "completed_tasks", "queued_tasks"]) if (Array.isArray(f[key])) out[key] = f[key].filter((t) => taskVisible(t, name));
    for (const key of ["executors", "completed_executors"]) {
      if (!Array.isArray(f[key])) continue;
      out[key] = f[key]
        .map((e) => (isObject(e) ? { ...e, ...Object.fromEntries(["tasks", "queued_tasks", "completed_tasks"].filter((k) => Array.isArray(e[k])).map((k) => [k, (e[k] as unknown[]).filter((t) => taskVisible(t, name))])) } : e))
        .filter((e) => isObject(e) && (marathon.has(name) ? ["tasks", "queued_tasks", "completed_tasks"].some((k) => asArray(e[k]).length > 0) || canRead(identity, appIdOfTaskId(String(e["id"] ?? ""))) : isAllowed(identity, serviceResource(name), "read")));
    }
    const hasTasks = ["tasks", "unreachable_tasks", "completed_tasks", "executors"].some((k) => asArray(out[k]).length > 0);
    return marathon.has(name) || isAllowed(identity, serviceResource(name), "read") || hasTasks ? out : undefined;
  };
  const out: Json = { ...state };
  for (const key of ["frameworks", "completed_frameworks"]) if (Array.isArray(state[key])) out[key] = state[key].map(filterFramework).filter((f) => f !== undefined);
  for (const key of ["tasks", "orphan_tasks", "unreachable_tasks"]) if (Array.isArray(state[key])) out[key] = state[key].filter((t) => taskVisible(t));
  return out;
}

const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
