/**
 * IAM wire shapes at `/acs/api/v1`, as DC/OS' IAM (dcos-oauth, then Bouncer) speaks them, plus
 * Caravel's open-core additions: permissions on resource ids and the audit log.
 *
 * Resource ids look like `caravel:service:/team-a` or `caravel:mesos:master:state`; actions are
 * read, create, update, delete and full (full implies the other four).
 */
import { z } from "zod";
import { opt } from "../wire.js";

/** User and group ids: what DC/OS accepts (letters, digits, `@._-`), so that email uids work. */
export const Uid = z
  .string()
  .min(1, "must not be empty")
  .max(96, "must be at most 96 characters")
  .regex(/^[A-Za-z0-9@._-]+$/, "may only contain letters, digits and @ . _ -");

export const ACTIONS = ["read", "create", "update", "delete", "full"] as const;
export const Action = z.enum(ACTIONS);
export type Action = z.infer<typeof Action>;

/** `caravel:<kind>[:<more>…]`; a service path part starts with `/`. No whitespace, no `..` segments. */
export const ResourceId = z
  .string()
  .min(1, "must not be empty")
  .max(512, "must be at most 512 characters")
  .regex(/^[a-z][a-z0-9_-]*(:[^\s:]+)*(:\/[^\s]*)?$/i, "must look like caravel:service:/team-a or caravel:mesos:master:state")
  .refine((rid) => !/(^|\/)\.\.?(\/|$)/.test(rid), "must not contain . or .. path segments");
export type ResourceId = z.infer<typeof ResourceId>;

/** `POST /acs/api/v1/auth/login`: a password login or a service account's RS256 login token. */
export const LoginRequest = z
  .object({
    uid: opt(Uid),
    password: opt(z.string().min(1, "must not be empty").max(1024)),
    token: opt(z.string().min(1, "must not be empty").max(16_384)),
    exp: opt(z.number().int().min(0)),
  })
  .refine((body) => body.uid !== undefined || body.token !== undefined, { message: "send {uid, password} or {uid, token}", path: ["uid"] })
  .refine((body) => body.password !== undefined || body.token !== undefined, { message: "send a password, or a login token signed with the service account's private key", path: ["password"] });
export type LoginRequest = z.infer<typeof LoginRequest>;

export const LoginResponse = z.object({ token: z.string() });
export type LoginResponse = z.infer<typeof LoginResponse>;

/** A user or service account as `GET /acs/api/v1/users/{uid}` shows it. */
export const IamUser = z.object({
  uid: z.string(),
  description: z.string(),
  url: z.string(),
  is_remote: z.boolean(),
  is_service: z.boolean(),
  provider_type: z.string(),
  provider_id: z.string(),
  public_key: opt(z.string()),
});
export type IamUser = z.infer<typeof IamUser>;

/** `PUT /acs/api/v1/users/{uid}`: a password makes a local user, a public key a service account. */
export const UserCreate = z
  .object({
    password: opt(z.string().min(8, "must be at least 8 characters").max(1024)),
    public_key: opt(z.string().includes("BEGIN PUBLIC KEY", { message: "must be a PEM SubjectPublicKeyInfo (-----BEGIN PUBLIC KEY-----)" })),
    description: opt(z.string().max(512)),
  })
  .refine((b) => !(b.password && b.public_key), { message: "send either password (a user) or public_key (a service account), not both", path: ["public_key"] })
  .refine((b) => b.password !== undefined || b.public_key !== undefined, { message: "send password for a user or public_key for a service account", path: ["password"] });
export type UserCreate = z.infer<typeof UserCreate>;

export const UserPatch = z.object({
  password: opt(z.string().min(8, "must be at least 8 characters").max(1024)),
  description: opt(z.string().max(512)),
});
export type UserPatch = z.infer<typeof UserPatch>;

export const IamGroup = z.object({ gid: z.string(), description: z.string(), url: z.string() });
export type IamGroup = z.infer<typeof IamGroup>;

export const GroupCreate = z.object({ description: opt(z.string().max(512)) });
export type GroupCreate = z.infer<typeof GroupCreate>;

/** `PUT /acs/api/v1/acls/{rid}`: declares a resource before actions are granted on it. */
export const AclCreate = z.object({ description: opt(z.string().max(512)) });
export type AclCreate = z.infer<typeof AclCreate>;

export const IamAcl = z.object({ rid: z.string(), description: z.string(), url: z.string() });
export type IamAcl = z.infer<typeof IamAcl>;

/** One grant as the permission listings show it. */
export const Permission = z.object({ rid: z.string(), actions: z.array(Action), via: opt(z.string()) });
export type Permission = z.infer<typeof Permission>;

/** One audit record: who did what, when, from where, and how it ended. */
export const AuditRecord = z.object({
  id: z.string(),
  time: z.string(),
  uid: z.string(),
  client: z.string(),
  method: z.string(),
  path: z.string(),
  resource: opt(z.string()),
  action: opt(z.string()),
  status: z.number().int(),
  result: z.enum(["allowed", "denied", "failed"]),
  reason: opt(z.string()),
});
export type AuditRecord = z.infer<typeof AuditRecord>;

/** Filters for `GET /acs/api/v1/audit` (query string). */
export const AuditQuery = z.object({
  uid: opt(z.string()),
  method: opt(z.string().transform((m) => m.toUpperCase())),
  path_prefix: opt(z.string()),
  result: opt(z.enum(["allowed", "denied", "failed"])),
  since: opt(z.string().datetime({ message: "must be an ISO-8601 time such as 2026-01-01T00:00:00Z" })),
  until: opt(z.string().datetime({ message: "must be an ISO-8601 time such as 2026-01-01T00:00:00Z" })),
  limit: opt(z.coerce.number().int().min(1).max(100_000)),
  format: opt(z.enum(["json", "jsonl"])),
});
export type AuditQuery = z.infer<typeof AuditQuery>;

/** The IAM's error body, Bouncer style: the UI reads `description`, tests read `code`. */
export const IamErrorBody = z.object({ title: z.string(), description: z.string(), code: z.string() });
export type IamErrorBody = z.infer<typeof IamErrorBody>;
