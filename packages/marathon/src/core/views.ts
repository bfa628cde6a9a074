/** Renders Marathon's JSON views (AppInfo, Task) from apps and instances. */
import type { AppDefinition, MarathonTask } from "@caravel/api";
import { countsAsHealthy, type Instance } from "../instances/instance.js";

export interface TaskFailure {
  appId: string;
  host: string;
  message: string;
  state: string;
  taskId: string;
  timestamp: string;
  version: string;
  slaveId: string;
}

export function taskView(i: Instance): MarathonTask & Record<string, unknown> {
  return {
    id: i.taskId,
    appId: i.appId,
    host: i.hostname,
    ports: i.ports,
    servicePorts: i.servicePorts,
    ipAddresses: i.ipAddresses,
    slaveId: i.agentId,
    state: i.state,
    stagedAt: new Date(i.stagedAt).toISOString(),
    ...(i.startedAt !== undefined ? { startedAt: new Date(i.startedAt).toISOString() } : {}),
    version: i.version,
    healthCheckResults: i.healthy === undefined ? [] : [{ alive: i.healthy, consecutiveFailures: i.healthy ? 0 : 1, instanceId: i.instanceId }],
    role: i.role,
    ...(i.region ? { region: i.region } : {}),
    ...(i.zone ? { zone: i.zone } : {}),
    ...(i.localVolumes ? { localVolumes: i.localVolumes } : {}),
  };
}

export interface AppInfoOptions {
  instances: readonly Instance[];
  deployments: readonly string[];
  embedTasks: boolean;
  lastTaskFailure?: TaskFailure;
}

/** AppInfo: the definition plus counts, deployments and (optionally) tasks. */
export function appInfoView(app: AppDefinition, o: AppInfoOptions): Record<string, unknown> {
  const hc = app.healthChecks.length > 0;
  const visible = o.instances.filter((i) => i.goal === "running" || i.state === "TASK_RUNNING");
  return {
    ...app,
    tasksStaged: visible.filter((i) => i.state === "TASK_STAGING" || i.state === "TASK_STARTING").length,
    tasksRunning: visible.filter((i) => i.state === "TASK_RUNNING").length,
    tasksHealthy: hc ? visible.filter((i) => countsAsHealthy(i, true)).length : 0,
    tasksUnhealthy: hc ? visible.filter((i) => i.state === "TASK_RUNNING" && i.healthy === false).length : 0,
    deployments: o.deployments.map((id) => ({ id })),
    ...(o.embedTasks ? { tasks: visible.map(taskView) } : {}),
    ...(o.lastTaskFailure ? { lastTaskFailure: o.lastTaskFailure } : {}),
  };
}

// ---- cached serialisation -----------------------------------------------------------------------
// Listing 1,000 apps × 10 tasks rebuilt and stringified ~5 MB of objects on every request. Apps are
// immutable (a change replaces the object) and most instances do not change between two requests,
// so each app's definition and each task is serialised once and reused until it changes.

/** Keys of an instance that taskView reads: a change of any of them re-renders the task. */
const TASK_KEYS = ["taskId", "appId", "hostname", "ports", "servicePorts", "ipAddresses", "agentId", "state", "stagedAt", "startedAt", "version", "healthy", "instanceId", "role", "region", "zone", "localVolumes"] as const;
type TaskKey = (typeof TASK_KEYS)[number];
interface TaskEntry {
  seen: Pick<Instance, TaskKey>;
  /** Array lengths as well, in case one is changed in place. */
  lengths: [number, number, number];
  json: string;
}
const taskCache = new WeakMap<Instance, TaskEntry>();

const lengthsOf = (i: Instance): [number, number, number] => [i.ports.length, i.servicePorts.length, i.ipAddresses.length];

/** `JSON.stringify(taskView(i))`, reused while none of the fields it reads changed. */
export function taskJson(i: Instance): string {
  const entry = taskCache.get(i);
  if (entry && TASK_KEYS.every((k) => entry.seen[k] === i[k])) {
    const [p, s, a] = entry.lengths;
    if (p === i.ports.length && s === i.servicePorts.length && a === i.ipAddresses.length) return entry.json;
  }
  const seen = {} as Record<TaskKey, unknown>;
  for (const k of TASK_KEYS) seen[k] = i[k];
  const json = JSON.stringify(taskView(i));
  taskCache.set(i, { seen: seen as Pick<Instance, TaskKey>, lengths: lengthsOf(i), json });
  return json;
}

/** Fields appInfoView adds: an app definition carrying one of them takes the uncached path. */
const ADDED_KEYS = ["tasksStaged", "tasksRunning", "tasksHealthy", "tasksUnhealthy", "deployments", "tasks", "lastTaskFailure"];
/** The definition's JSON without its closing brace (null: not cacheable, see ADDED_KEYS). */
const appCache = new WeakMap<AppDefinition, string | null>();

interface AppPieces {
  head: string;
  /** `"tasksStaged":…,"deployments":[…]` and, when embedded, the tasks and the last failure. */
  counts: string;
  tasks: string[] | undefined;
  failure: string;
}

/** The pieces of an AppInfo; undefined when the definition takes the uncached path. */
function piecesOf(app: AppDefinition, o: AppInfoOptions): AppPieces | undefined {
  let head = appCache.get(app);
  if (head === undefined) {
    const json = JSON.stringify(app);
    head = ADDED_KEYS.some((k) => k in app) ? null : json === "{}" ? "{" : json.slice(0, -1) + ",";
    appCache.set(app, head);
  }
  if (head === null) return undefined;
  const hc = app.healthChecks.length > 0;
  let staged = 0;
  let running = 0;
  let healthy = 0;
  let unhealthy = 0;
  const tasks: string[] | undefined = o.embedTasks ? [] : undefined;
  for (const i of o.instances) {
    if (i.goal !== "running" && i.state !== "TASK_RUNNING") continue;
    if (i.state === "TASK_STAGING" || i.state === "TASK_STARTING") staged++;
    if (i.state === "TASK_RUNNING") {
      running++;
      if (hc && i.healthy === false) unhealthy++;
    }
    if (hc && countsAsHealthy(i, true)) healthy++;
    tasks?.push(taskJson(i));
  }
  const deployments = o.deployments.length ? JSON.stringify(o.deployments.map((id) => ({ id }))) : "[]";
  const counts = `"tasksStaged":${staged},"tasksRunning":${running},"tasksHealthy":${healthy},"tasksUnhealthy":${unhealthy},"deployments":${deployments}`;
  return { head, counts, tasks, failure: o.lastTaskFailure ? JSON.stringify(o.lastTaskFailure) : "" };
}

const joinPieces = (p: AppPieces): string => `${p.head}${p.counts}${p.tasks ? `,"tasks":[${p.tasks.join(",")}]` : ""}${p.failure ? `,"lastTaskFailure":${p.failure}` : ""}}`;

/** `JSON.stringify(appInfoView(app, o))`, byte for byte, from cached pieces. */
export function appInfoJson(app: AppDefinition, o: AppInfoOptions): string {
  const pieces = piecesOf(app, o);
  return pieces ? joinPieces(pieces) : JSON.stringify(appInfoView(app, o));
}

/** The UTF-8 bytes of the last AppInfo rendered per definition, reused while no piece changed. */
const bufferCache = new WeakMap<AppDefinition, { pieces: AppPieces; bytes: Buffer }>();

const samePieces = (a: AppPieces, b: AppPieces): boolean =>
  a.head === b.head && a.counts === b.counts && a.failure === b.failure && (a.tasks === b.tasks || (!!a.tasks && !!b.tasks && a.tasks.length === b.tasks.length && a.tasks.every((t, n) => t === b.tasks![n])));

/**
 * `appInfoJson` as UTF-8 bytes. A listing of 1,000 apps re-encoded ~5 MB of text per request; the
 * bytes of an app whose pieces are the very same strings as last time are reused instead.
 */
export function appInfoBytes(app: AppDefinition, o: AppInfoOptions): Buffer {
  const pieces = piecesOf(app, o);
  if (!pieces) return Buffer.from(JSON.stringify(appInfoView(app, o)));
  const cached = bufferCache.get(app);
  if (cached && samePieces(cached.pieces, pieces)) return cached.bytes;
  const bytes = Buffer.from(joinPieces(pieces));
  bufferCache.set(app, { pieces, bytes });
  return bytes;
}
