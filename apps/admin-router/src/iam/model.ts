/**
 * IAM state and its pure operations: users, service accounts, groups, memberships and ACLs. Every
 * operation returns a new state or throws a CaravelError saying what is wrong and what to do, so
 * nothing stored changes on bad input. Persistence and hashing live in service.ts.
 */
import { CaravelError, type Action, type IamAcl, type IamGroup, type IamUser } from "@caravel/api";
import { SUPERUSER_RESOURCE, normalizeResource, type Grant, type Identity, type StoredKey } from "@caravel/auth";

export interface StoredUser {
  uid: string;
  description: string;
  kind: "user" | "service";
  passwordHash?: string;
  publicKey?: string;
  createdAt: string;
  /** Imported from the Store's bootstrap node (see bootstrap.ts): its key follows what is published there. */
  bootstrap?: boolean;
}

export interface StoredGroup {
  gid: string;
  description: string;
  members: string[];
}

export interface StoredAcl {
  rid: string;
  description: string;
  users: Record<string, Action[]>;
  groups: Record<string, Action[]>;
}

export interface IamState {
  users: Record<string, StoredUser>;
  groups: Record<string, StoredGroup>;
  acls: Record<string, StoredAcl>;
  keys: StoredKey[];
  /** Revoked token ids → their expiry (seconds), dropped once expired. */
  revoked: Record<string, number>;
  /** Per uid: tokens issued before this time (seconds) are void (password change, revoke-all). */
  notBefore: Record<string, number>;
}

export const emptyState = (keys: StoredKey[]): IamState => ({ users: {}, groups: {}, acls: {}, keys, revoked: {}, notBefore: {} });

const API = "/acs/api/v1";

export function userView(u: StoredUser): IamUser {
  return {
    uid: u.uid,
    description: u.description,
    url: `${API}/users/${u.uid}`,
    is_remote: false,
    is_service: u.kind === "service",
    provider_type: "internal",
    provider_id: "",
    ...(u.publicKey ? { public_key: u.publicKey } : {}),
  };
}

export const groupView = (g: StoredGroup): IamGroup => ({ gid: g.gid, description: g.description, url: `${API}/groups/${g.gid}` });
export const aclView = (a: StoredAcl): IamAcl => ({ rid: a.rid, description: a.description, url: `${API}/acls/${encodeURIComponent(a.rid)}` });

export function requireUser(state: IamState, uid: string): StoredUser {
  const user = state.users[uid];
  if (!user) throw new CaravelError("NOT_FOUND", `user ${uid} does not exist; create it with PUT ${API}/users/${uid}`);
  return user;
}

export function requireGroup(state: IamState, gid: string): StoredGroup {
  const group = state.groups[gid];
  if (!group) throw new CaravelError("NOT_FOUND", `group ${gid} does not exist; create it with PUT ${API}/groups/${gid}`);
  return group;
}

export function requireAcl(state: IamState, rid: string): StoredAcl {
  const acl = state.acls[normalizeResource(rid)];
  if (!acl) throw new CaravelError("NOT_FOUND", `ACL ${rid} does not exist; create it with PUT ${API}/acls/${encodeURIComponent(rid)}`);
  return acl;
}

export function addUser(state: IamState, user: StoredUser): IamState {
  if (state.users[user.uid]) throw new CaravelError("CONFLICT", `user ${user.uid} already exists; change it with PATCH ${API}/users/${user.uid}`);
  return { ...state, users: { ...state.users, [user.uid]: user } };
}

export function patchUser(state: IamState, uid: string, patch: Partial<Pick<StoredUser, "description" | "passwordHash">>): IamState {
  const user = requireUser(state, uid);
  if (patch.passwordHash && user.kind === "service") throw new CaravelError("INVALID_REQUEST", `${uid} is a service account; it logs in with its key, not a password`, { path: "password" });
  return { ...state, users: { ...state.users, [uid]: { ...user, ...patch } } };
}

/** Removes a user with its memberships and grants. */
export function removeUser(state: IamState, uid: string): IamState {
  requireUser(state, uid);
  const { [uid]: _, ...users } = state.users;
  const groups = Object.fromEntries(Object.entries(state.groups).map(([gid, g]) => [gid, { ...g, members: g.members.filter((m) => m !== uid) }]));
  const acls = Object.fromEntries(Object.entries(state.acls).map(([rid, a]) => [rid, { ...a, users: omit(a.users, uid) }]));
  return { ...state, users, groups, acls };
}

export function addGroup(state: IamState, gid: string, description: string): IamState {
  if (state.groups[gid]) throw new CaravelError("CONFLICT", `group ${gid} already exists`);
  return { ...state, groups: { ...state.groups, [gid]: { gid, description, members: [] } } };
}

export function patchGroup(state: IamState, gid: string, description: string): IamState {
  return { ...state, groups: { ...state.groups, [gid]: { ...requireGroup(state, gid), description } } };
}

export function removeGroup(state: IamState, gid: string): IamState {
  requireGroup(state, gid);
  const acls = Object.fromEntries(Object.entries(state.acls).map(([rid, a]) => [rid, { ...a, groups: omit(a.groups, gid) }]));
  return { ...state, groups: omit(state.groups, gid), acls };
}

export function setMembership(state: IamState, gid: string, uid: string, member: boolean): IamState {
  const group = requireGroup(state, gid);
  requireUser(state, uid);
  const members = member ? [...new Set([...group.members, uid])] : group.members.filter((m) => m !== uid);
  return { ...state, groups: { ...state.groups, [gid]: { ...group, members } } };
}

export function addAcl(state: IamState, rid: string, description: string): IamState {
  const key = normalizeResource(rid);
  if (state.acls[key]) throw new CaravelError("CONFLICT", `ACL ${rid} already exists`);
  return { ...state, acls: { ...state.acls, [key]: { rid: key, description, users: {}, groups: {} } } };
}

export function removeAcl(state: IamState, rid: string): IamState {
  return { ...state, acls: omit(state.acls, requireAcl(state, rid).rid) };
}

/** Grants or withdraws one action on an ACL to a user or a group; granting creates the ACL if needed. */
export function setGrant(state: IamState, rid: string, to: { uid: string } | { gid: string }, action: Action, granted: boolean): IamState {
  const key = normalizeResource(rid);
  if ("uid" in to) requireUser(state, to.uid);
  else requireGroup(state, to.gid);
  const acl = state.acls[key] ?? (granted ? { rid: key, description: "", users: {}, groups: {} } : requireAcl(state, rid));
  const field = "uid" in to ? "users" : "groups";
  const who = "uid" in to ? to.uid : to.gid;
  const current = acl[field][who] ?? [];
  const next = granted ? [...new Set([...current, action])] : current.filter((a) => a !== action);
  const table = next.length ? { ...acl[field], [who]: next } : omit(acl[field], who);
  return { ...state, acls: { ...state.acls, [key]: { ...acl, [field]: table } } };
}

export const groupsOf = (state: IamState, uid: string): StoredGroup[] => Object.values(state.groups).filter((g) => g.members.includes(uid));

/** Every grant a user holds, directly and through groups (`via` names the group). */
export function grantsOf(state: IamState, uid: string): (Grant & { via?: string })[] {
  const gids = new Set(groupsOf(state, uid).map((g) => g.gid));
  const out: (Grant & { via?: string })[] = [];
  for (const acl of Object.values(state.acls)) {
    const direct = acl.users[uid];
    if (direct?.length) out.push({ rid: acl.rid, actions: direct });
    for (const [gid, actions] of Object.entries(acl.groups)) if (gids.has(gid) && actions.length) out.push({ rid: acl.rid, actions, via: gid });
  }
  return out;
}

/** The identity a token for `uid` stands for, or undefined when the user no longer exists. */
export function identityOf(state: IamState, uid: string): Identity | undefined {
  if (!state.users[uid]) return undefined;
  const grants = grantsOf(state, uid);
  const superuser = grants.some((g) => g.rid === SUPERUSER_RESOURCE && g.actions.includes("full"));
  return { uid, superuser, grants };
}

/** Drops revocations of tokens that have expired anyway. */
export function pruneRevoked(state: IamState, now: number): IamState {
  return { ...state, revoked: Object.fromEntries(Object.entries(state.revoked).filter(([, exp]) => exp > now)) };
}

function omit<T>(record: Record<string, T>, key: string): Record<string, T> {
  const { [key]: _, ...rest } = record;
  return rest;
}

/** Whether anyone holds `full` on the superuser resource (directly or through a group with members). */
export function hasSuperuser(state: IamState): boolean {
  const acl = state.acls[SUPERUSER_RESOURCE];
  if (!acl) return false;
  if (Object.entries(acl.users).some(([uid, actions]) => actions.includes("full") && state.users[uid])) return true;
  return Object.entries(acl.groups).some(([gid, actions]) => actions.includes("full") && (state.groups[gid]?.members.length ?? 0) > 0);
}
