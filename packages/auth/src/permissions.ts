/**
 * The permission model: grants of actions on resource ids, and one pure check, `isAllowed`.
 *
 * Resource ids are colon-separated (`caravel:mesos:master:state`) and may end in a Marathon-style path
 * (`caravel:service:/team-a/web`). A grant covers its own id and everything below it: below a colon
 * segment (`caravel:mesos` covers `caravel:mesos:master:state`) or below a path segment
 * (`caravel:service:/team-a` covers `/team-a/x` but not `/team-ab`). `full` implies every action, and
 * a grant of `full` on `caravel:superuser` (or an identity flagged superuser) allows everything.
 */
import type { Action } from "@caravel/api";

export type { Action };

/** The resource that makes its holder a superuser. */
export const SUPERUSER_RESOURCE = "caravel:superuser";

export interface Grant {
  rid: string;
  actions: readonly Action[];
}

/** Who is asking, with every grant they hold directly or through their groups. */
export interface Identity {
  uid: string;
  superuser: boolean;
  grants: readonly Grant[];
}

/**
 * Normalises a resource id: collapses repeated slashes in the path part and drops a trailing slash
 * (except the root path), so that `caravel:service://a/` and `caravel:service:/a` are the same id.
 */
export function normalizeResource(rid: string): string {
  const slash = rid.indexOf(":/");
  if (slash === -1) return rid;
  const head = rid.slice(0, slash + 1);
  let path = rid.slice(slash + 1).replace(/\/{2,}/g, "/");
  if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
  return head + path;
}

/** Whether a grant on `granted` applies to `resource` (same id, or an id below it). */
export function covers(granted: string, resource: string): boolean {
  const g = normalizeResource(granted);
  const r = normalizeResource(resource);
  if (g === r) return true;
  if (!r.startsWith(g)) return false;
  if (g.endsWith("/") || g.endsWith(":")) return true;
  const next = r[g.length];
  return next === ":" || next === "/";
}

/** Whether a set of granted actions includes `action` (`full` includes them all). */
export const grantsAction = (actions: readonly Action[], action: Action): boolean => actions.includes("full") || actions.includes(action);

/** The permission check: may `identity` perform `action` on `resource`? Pure and total. */
export function isAllowed(identity: Identity, resource: string, action: Action): boolean {
  if (identity.superuser) return true;
  for (const grant of identity.grants) {
    if (grant.rid === SUPERUSER_RESOURCE && grant.actions.includes("full")) return true;
    if (grantsAction(grant.actions, action) && covers(grant.rid, resource)) return true;
  }
  return false;
}

/** Turns a Marathon app or group id (`team-a/web`, `/team-a/web/`) into its service resource id. */
export function serviceResource(appId: string): string {
  const path = "/" + appId.split("/").filter((s) => s !== "").join("/");
  return `caravel:service:${path}`;
}

/** Whether the identity holds grants that could apply to something at or below `resource`. */
export function mayReachBelow(identity: Identity, resource: string, action: Action): boolean {
  if (isAllowed(identity, resource, action)) return true;
  return identity.grants.some((g) => grantsAction(g.actions, action) && covers(resource, g.rid));
}

/** An identity with every right, for loopback callers and tests. */
export const superuserIdentity = (uid: string): Identity => ({ uid, superuser: true, grants: [] });
