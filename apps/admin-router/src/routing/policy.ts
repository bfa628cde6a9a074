/**
 * Authorisation per route, as pure functions: which resource and action a request needs, which
 * response filter hides what the caller may not read, and which request bodies must be inspected
 * (Marathon app and group definitions name the apps they touch in the body).
 *
 * Resources: `caravel:service:<app path>` (Marathon apps and groups, services under /service/),
 * `caravel:marathon`, `caravel:mesos:master[:…]`, `caravel:mesos:agent[:…]`, `caravel:package`,
 * `caravel:mesos_dns`, `caravel:iam[:audit]`. A caller with no matching grant gets 403 naming them.
 */
import type { Action } from "@caravel/api";
import { serviceResource, appIdOfSandboxPath } from "@caravel/auth";
import type { Route } from "./table.js";

export type FilterKind = "marathon-apps" | "marathon-groups" | "marathon-tasks" | "marathon-deployments" | "marathon-queue" | "marathon-events" | "mesos-state";
export type BodyKind = "marathon-apps" | "marathon-groups" | "marathon-tasks-delete" | "mesos-operator";

export interface Check {
  resource: string;
  action: Action;
}

export interface Decision {
  /** Every check must pass. Empty: any authenticated caller. */
  checks: Check[];
  /** Hide parts of the response, unless the caller passes `unfilteredIf`. */
  filter?: FilterKind;
  unfilteredIf?: Check;
  /** Inspect the request body for the ids it touches. */
  body?: { kind: BodyKind; action: Action; base?: string };
  /** Refuse outright with 400 and this message (e.g. traversal in a files path). */
  reject?: string;
}

export const actionOf = (method: string): Action =>
  method === "GET" || method === "HEAD" || method === "OPTIONS" ? "read" : method === "POST" ? "create" : method === "DELETE" ? "delete" : "update";

const split = (path: string) => {
  const q = path.indexOf("?");
  const p = q === -1 ? path : path.slice(0, q);
  const parts = p.split("/").filter((s) => s !== "");
  return { parts: p.includes("%") ? parts.map(safeDecode) : parts, query: () => new URLSearchParams(q === -1 ? "" : path.slice(q + 1)) };
};
const safeDecode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** The decision for a proxied route. `service` is the resolved service name for /service/ routes. */
export function decide(route: Extract<Route, { kind: "proxy" }>, method: string, service?: string): Decision {
  const action = actionOf(method);
  switch (route.upstream) {
    case "marathon":
      return marathonDecision(method, route.path);
    case "master":
      return mesosDecision(method, route.path);
    case "agent":
      return agentDecision(method, route.path);
    case "service":
      return { checks: [{ resource: serviceResource(service ?? "/"), action }] };
    case "dns":
      return { checks: action === "read" ? [] : [{ resource: "caravel:mesos_dns", action }] };
    case "universe": {
      const rpc = split(route.path).parts.slice(1).join("/");
      const readOnly = route.path.startsWith("/capabilities") || ["search", "describe", "list", "render", "list-versions", "repository/list"].includes(rpc);
      return { checks: [{ resource: "caravel:package", action: readOnly ? "read" : "full" }] };
    }
    case "console":
      return { checks: [] };
  }
}

/** Marathon `/v2/...`: apps and groups by id, list views filtered, events filtered. */
export function marathonDecision(method: string, path: string): Decision {
  const { parts } = split(path);
  const action = actionOf(method);
  const [v2, kind, ...rest] = parts;
  if (path === "/ping" || path.startsWith("/ping?") || (v2 === "v2" && (kind === "info" || (kind === "leader" && action === "read")))) return { checks: [] };
  if (v2 !== "v2") return { checks: [{ resource: "caravel:marathon", action }] };
  const marathonWide: Check = { resource: "caravel:service:/", action: "read" };
  switch (kind) {
    case "apps": {
      const keywords = ["restart", "tasks", "versions"];
      const end = rest.findIndex((s) => keywords.includes(s));
      const id = (end === -1 ? rest : rest.slice(0, end)).join("/");
      if (id === "") {
        if (action === "read") return { checks: [], filter: "marathon-apps", unfilteredIf: marathonWide };
        return { checks: [], body: { kind: "marathon-apps", action: method === "POST" ? "create" : "update" } };
      }
      // Restarting and killing tasks change an app; reading its tasks or versions reads it.
      const appAction: Action = action === "read" ? "read" : end !== -1 && rest[end] !== "versions" ? "update" : action === "create" ? "update" : action;
      const body = method === "PUT" || method === "PATCH" ? { body: { kind: "marathon-apps" as const, action: "update" as const, base: "/" + id } } : {};
      return { checks: [{ resource: serviceResource(id), action: appAction }], ...body };
    }
    case "groups": {
      const keywords = ["versions"];
      const end = rest.findIndex((s) => keywords.includes(s));
      const id = (end === -1 ? rest : rest.slice(0, end)).join("/");
      if (action === "read") return { checks: [], filter: "marathon-groups", unfilteredIf: { resource: serviceResource(id), action: "read" } };
      const base = "/" + id;
      if (method === "POST") return { checks: id ? [{ resource: serviceResource(id), action: "create" }] : [], body: { kind: "marathon-groups", action: "create", base } };
      if (method === "DELETE") return { checks: [{ resource: serviceResource(id), action: "delete" }] };
      return { checks: [{ resource: serviceResource(id), action: "update" }], body: { kind: "marathon-groups", action: "update", base } };
    }
    case "tasks":
      if (action === "read") return { checks: [], filter: "marathon-tasks", unfilteredIf: marathonWide };
      return { checks: [], body: { kind: "marathon-tasks-delete", action: "update" } };
    case "deployments":
      if (action === "read") return { checks: [], filter: "marathon-deployments", unfilteredIf: marathonWide };
      return { checks: [{ resource: "caravel:marathon:deployments", action }] };
    case "queue":
      if (action === "read") return { checks: [], filter: "marathon-queue", unfilteredIf: marathonWide };
      return { checks: [{ resource: serviceResource(rest.filter((s) => s !== "delay").join("/")), action: "update" }] };
    case "events":
      return { checks: [], filter: "marathon-events", unfilteredIf: marathonWide };
    default:
      return { checks: [{ resource: "caravel:marathon", action }] };
  }
}

const STATE_PATHS = new Set(["master/state", "state", "master/state.json", "state.json", "master/state-summary", "state-summary", "master/frameworks", "frameworks", "master/tasks", "tasks", "master/tasks.json", "tasks.json", "master/frameworks.json", "frameworks.json"]);
const OPEN_READS = new Set(["version", "health", "master/health", "master/redirect", "redirect", "metrics/snapshot", "master/slaves", "slaves", "master/slaves.json", "slaves.json", "master/roles", "roles", "master/maintenance/schedule"]);

/** The Mesos master under /mesos/: state filtered per service; operator calls by kind. */
export function mesosDecision(method: string, path: string): Decision {
  const { parts } = split(path);
  const joined = parts.join("/");
  const action = actionOf(method);
  if (action === "read" && STATE_PATHS.has(joined)) return { checks: [], filter: "mesos-state", unfilteredIf: { resource: "caravel:mesos:master:state", action: "read" } };
  if (action === "read" && OPEN_READS.has(joined)) return { checks: [] };
  if (joined === "api/v1/scheduler") return { checks: [{ resource: "caravel:mesos:master:framework", action: "create" }] };
  if (joined === "api/v1" && method === "POST") return { checks: [], body: { kind: "mesos-operator", action: "read" } };
  return { checks: [{ resource: "caravel:mesos:master", action }] };
}

/** An agent under /agent/<id>/: its state filtered, sandbox files by the app that owns them. */
export function agentDecision(method: string, path: string): Decision {
  const { parts, query } = split(path);
  const joined = parts.join("/");
  const action = actionOf(method);
  if (action === "read" && ["state", "state.json", "slave(1)/state", "slave(1)/state.json"].includes(joined)) {
    return { checks: [], filter: "mesos-state", unfilteredIf: { resource: "caravel:mesos:agent:state", action: "read" } };
  }
  if (parts[0] === "files" && ["browse", "read", "download", "browse.json", "read.json", "download.json"].includes(parts[1] ?? "")) {
    const file = query().get("path") ?? "";
    if (/(^|\/)\.\.?(\/|$)/.test(file)) return { checks: [], reject: "query parameter path must not contain . or .. segments (path traversal is refused)" };
    const appId = appIdOfSandboxPath(file);
    return { checks: [appId ? { resource: serviceResource(appId), action: "read" } : { resource: "caravel:mesos:agent:files", action: "read" }] };
  }
  if (action === "read" && ["version", "health", "metrics/snapshot"].includes(joined)) return { checks: [] };
  return { checks: [{ resource: "caravel:mesos:agent", action }] };
}

/** IAM's own endpoints: callers may read themselves; everything else needs `caravel:iam`. */
export function iamDecision(method: string, path: string, uid: string): Decision {
  const parts = path.split("?")[0]!.split("/").filter((s) => s !== "").slice(3).map(safeDecode);
  const action = actionOf(method);
  if (parts[0] === "auth") return { checks: [] };
  if (parts[0] === "audit") return { checks: [{ resource: "caravel:iam:audit", action: "read" }] };
  if (action === "read" && parts[0] === "users" && parts[1] === uid) return { checks: [] };
  if (action === "read" && parts[0] === "uiconfig") return { checks: [] };
  return { checks: [{ resource: "caravel:iam", action: action === "read" ? "read" : "full" }] };
}
