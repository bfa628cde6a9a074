/**
 * Marathon path ids (`/prod/web/api`): validation, resolution of relative ids against a parent group,
 * and the names Marathon derives from them (Mesos task names, task and instance ids).
 */

/** One path segment: lowercase letters, digits and dashes, dot-separated, or `.`/`..` in relative ids. */
const SEGMENT = /^(?:(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])$/;

/** Why a path id is invalid, or undefined when it is fine. Relative segments (`.`, `..`) are accepted. */
export function pathIdProblem(id: string): string | undefined {
  if (id === "" ) return "must not be empty";
  if (id === "/") return undefined;
  const segments = id.replace(/^\//, "").replace(/\/$/, "").split("/");
  for (const segment of segments) {
    if (segment === "." || segment === "..") continue;
    if (!SEGMENT.test(segment)) {
      return `path segment '${segment}' is invalid: use lowercase letters, digits, dashes and dots, not starting or ending with a dash or dot (e.g. /prod/web-api)`;
    }
  }
  return undefined;
}

/** Makes `id` absolute against `base` (a group path), resolving `.` and `..`. */
export function resolvePathId(id: string, base = "/"): string {
  const start = id.startsWith("/") ? [] : base.split("/").filter(Boolean);
  const out = [...start];
  for (const segment of id.split("/").filter(Boolean)) {
    if (segment === ".") continue;
    if (segment === "..") out.pop();
    else out.push(segment);
  }
  return "/" + out.join("/");
}

/** The parent group of an absolute path (`/a/b` → `/a`, `/a` → `/`). */
export function parentPath(id: string): string {
  const parts = id.split("/").filter(Boolean);
  parts.pop();
  return "/" + parts.join("/");
}

/** True when `id` equals `group` or lies below it. */
export const isUnder = (id: string, group: string): boolean =>
  group === "/" || id === group || id.startsWith(group.endsWith("/") ? group : group + "/");

/** Mesos TaskInfo.name (and DiscoveryInfo name): the path reversed and dot-joined (`/prod/web` → `web.prod`). */
export const taskNameOf = (appId: string): string => appId.split("/").filter(Boolean).reverse().join(".");

/** The mangled app id used inside task ids: the path joined with `_` (`/prod/web` → `prod_web`). */
export const mangleAppId = (appId: string): string => appId.split("/").filter(Boolean).join("_");

/** Rebuilds the app id from a mangled one. */
export const unmangleAppId = (mangled: string): string => "/" + mangled.split("_").join("/");

/** Instance id `<mangled>.instance-<uuid>`. */
export const instanceIdOf = (appId: string, uuid: string): string => `${mangleAppId(appId)}.instance-${uuid}`;

/** Task id of an app instance: `<instanceId>._app.<incarnation>`. */
export const appTaskIdOf = (instanceId: string, incarnation: number): string => `${instanceId}._app.${incarnation}`;

export interface ParsedTaskId {
  appId: string;
  instanceId: string;
  /** `_app` for apps, the container name for pods, undefined for legacy ids. */
  container?: string;
  incarnation?: number;
}

const MODERN = /^(.+)\.(instance-|marathon-)([^_.]+)[._]([^.]+)(?:\.(\d+))?$/;
const INSTANCE_ONLY = /^(.+)\.(instance-|marathon-)([^_.]+)$/;
const LEGACY = /^(.+)\.([^.]+)$/;

/** Parses every task-id form Marathon has used (1.5+, `marathon-` prefixed, and pre-1.5 `<mangled>.<uuid>`). */
export function parseTaskId(taskId: string): ParsedTaskId | undefined {
  const modern = MODERN.exec(taskId);
  if (modern) {
    const [, mangled, prefix, uuid, container, incarnation] = modern;
    return {
      appId: unmangleAppId(mangled!),
      instanceId: `${mangled}.${prefix}${uuid}`,
      container: container!,
      ...(incarnation === undefined ? {} : { incarnation: Number(incarnation) }),
    };
  }
  const instance = INSTANCE_ONLY.exec(taskId);
  if (instance) return { appId: unmangleAppId(instance[1]!), instanceId: taskId };
  const legacy = LEGACY.exec(taskId);
  if (legacy) return { appId: unmangleAppId(legacy[1]!), instanceId: taskId };
  return undefined;
}
