/**
 * `/acs/api/v1` over HTTP in DC/OS' shapes: login/logout/providers/jwks, users and service accounts,
 * groups and memberships, ACLs and grants, permissions, token revocation, key rotation and the audit
 * log. Errors are Bouncer-style `{title, description, code: "ERR_…"}` (plus `message`).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { STATUS_CODES } from "node:http";
import { ACTIONS, AclCreate, AuditQuery, CaravelError, GroupCreate, Uid, UserCreate, UserPatch, describeZodError, isCaravelError, type Action } from "@caravel/api";
import { AUTH_COOKIE, INFO_COOKIE, isAllowed, normalizePublicKeyPem, type Identity } from "@caravel/auth";
import { Router, readJson, sendJson, type Logger } from "@caravel/runtime";
import type { z } from "zod";
import type { AuditLog } from "../audit/audit.js";
import { iamDecision } from "../routing/policy.js";
import { aclView, addAcl, addGroup, addUser, grantsOf, groupView, groupsOf, patchGroup, patchUser, removeAcl, removeGroup, removeUser, requireAcl, requireGroup, requireUser, setGrant, setMembership, userView } from "./model.js";
import { hashPassword } from "./passwords.js";
import type { Authenticated, IamService } from "./service.js";

export interface IamHttpDeps {
  iam: IamService;
  audit: AuditLog;
  log: Logger;
  secureCookies: boolean;
  clusterId: string;
}

export interface IamRequestContext {
  auth?: Authenticated;
  client: string;
  /** Told the uid a login names (never the password), so that audit can say who tried. */
  noteLoginUid?: (uid: string) => void;
}

const COOKIE_MAX_AGE = 388_800;
const BASE = "/acs/api/v1";

function parse<T extends z.ZodType>(schema: T, body: unknown, what: string): z.output<T> {
  const r = schema.safeParse(body);
  if (!r.success) throw new CaravelError("INVALID_REQUEST", `invalid ${what}: ${describeZodError(r.error)}`, { path: String(r.error.issues[0]?.path.join(".") ?? "") });
  return r.data;
}
const uidParam = (v: string, name = "uid") => parse(Uid, v, name);
const actionParam = (v: string): Action => {
  if (!(ACTIONS as readonly string[]).includes(v)) throw new CaravelError("INVALID_REQUEST", `action must be one of ${ACTIONS.join(", ")}`, { path: "action" });
  return v as Action;
};
async function optionalJson(req: IncomingMessage): Promise<unknown> {
  const length = req.headers["content-length"];
  if (length === "0" || (length === undefined && req.headers["transfer-encoding"] === undefined)) return {};
  return readJson(req, 1024 * 1024);
}

export function renderIamError(res: ServerResponse, error: unknown, log: Logger): void {
  const err = isCaravelError(error) ? error : new CaravelError("INTERNAL", "internal error; see the admin router log", { cause: error });
  if (err.code === "INTERNAL") log.error({ err: error }, "IAM request failed");
  if (res.headersSent) return void res.destroy();
  const headers: Record<string, string> = {};
  if (err.code === "UNAUTHORIZED") headers["www-authenticate"] = "oauthjwt";
  const retry = err.details?.["retryAfterSeconds"];
  if (typeof retry === "number") headers["retry-after"] = String(retry);
  sendJson(res, err.status, { title: STATUS_CODES[err.status] ?? "Error", description: err.message, message: err.message, code: `ERR_${err.code}`, ...(err.path ? { path: err.path } : {}) }, headers);
}

/** Builds the IAM request handler; `ctx` carries the caller (absent on /auth/ routes without a token). */
export function createIamHandler(deps: IamHttpDeps): (req: IncomingMessage, res: ServerResponse, ctx: IamRequestContext) => Promise<void> {
  const { iam, audit } = deps;
  const contexts = new WeakMap<IncomingMessage, IamRequestContext>();
  const who = (req: IncomingMessage): Identity => {
    const auth = contexts.get(req)?.auth;
    if (!auth) throw new CaravelError("UNAUTHORIZED", "this endpoint needs a token; log in at POST /acs/api/v1/auth/login");
    return auth.identity;
  };
  const cookieFlags = `Path=/; SameSite=Strict${deps.secureCookies ? "; Secure" : ""}`;
  const r = new Router();

  r.on("POST", `${BASE}/auth/login`, async (req, res) => {
    const body = await readJson(req, 64 * 1024);
    const ctx = contexts.get(req)!;
    const named = (body as { uid?: unknown } | null)?.uid;
    if (typeof named === "string") ctx.noteLoginUid?.(named.slice(0, 96));
    const { token, claims, user } = await iam.login(body, ctx.client);
    const info = Buffer.from(JSON.stringify({ uid: user.uid, description: user.description, is_remote: false })).toString("base64url");
    const maxAge = Math.min(COOKIE_MAX_AGE, claims.exp - claims.iat);
    res.setHeader("set-cookie", [`${AUTH_COOKIE}=${token}; ${cookieFlags}; HttpOnly; Max-Age=${maxAge}`, `${INFO_COOKIE}=${info}; ${cookieFlags}; Max-Age=${maxAge}`]);
    sendJson(res, 200, { token });
  });
  const logout = async (req: IncomingMessage, res: ServerResponse) => {
    const auth = contexts.get(req)?.auth;
    if (auth) await iam.revokeToken(auth.claims);
    const gone = "Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0";
    res.setHeader("set-cookie", [`${AUTH_COOKIE}=; ${cookieFlags}; HttpOnly; ${gone}`, `${INFO_COOKIE}=; ${cookieFlags}; ${gone}`]);
    sendJson(res, 200, { revoked: Boolean(auth) });
  };
  r.on(["GET", "POST"], `${BASE}/auth/logout`, logout);
  r.on("GET", `${BASE}/auth/providers`, (_req, res) =>
    sendJson(res, 200, { "dcos-users": { "authentication-type": "dcos-uid-password", "client-method": "dcos-usercredential-post-receive-authtoken", config: { start_flow_url: `${BASE}/auth/login` }, description: "Caravel users (uid and password)" }, "dcos-services": { "authentication-type": "dcos-uid-servicekey", "client-method": "dcos-servicecredential-post-receive-authtoken", config: { start_flow_url: `${BASE}/auth/login` }, description: "Caravel service accounts (uid and RS256 login token)" } }),
  );
  r.on("GET", `${BASE}/auth/jwks`, async (_req, res) => sendJson(res, 200, await iam.keys.jwks()));
  r.on("GET", `${BASE}/uiconfig`, (_req, res) => sendJson(res, 200, { uiConfiguration: { plugins: {} }, clusterConfiguration: { firstUser: false, id: deps.clusterId } }));

  r.on("GET", `${BASE}/users`, (_req, res, _p, url) => {
    const type = url.searchParams.get("type");
    const users = Object.values(iam.current.users).filter((u) => (type === "service" ? u.kind === "service" : type === "user" ? u.kind === "user" : true));
    sendJson(res, 200, { array: users.map(userView) });
  });
  r.on("GET", `${BASE}/users/:uid`, (_req, res, p) => sendJson(res, 200, userView(requireUser(iam.current, p["uid"]!))));
  r.on("PUT", `${BASE}/users/:uid`, async (req, res, p) => {
    const uid = uidParam(p["uid"]!);
    const body = parse(UserCreate, await readJson(req, 64 * 1024), "user");
    const publicKey = body.public_key ? await normalizePublicKeyPem(body.public_key) : undefined;
    const passwordHash = body.password ? await hashPassword(body.password) : undefined;
    await iam.mutate((s) => addUser(s, { uid, description: body.description ?? "", kind: publicKey ? "service" : "user", ...(passwordHash ? { passwordHash } : {}), ...(publicKey ? { publicKey } : {}), createdAt: new Date().toISOString() }));
    res.writeHead(201).end();
  });
  r.on("PATCH", `${BASE}/users/:uid`, async (req, res, p) => {
    const uid = p["uid"]!;
    const body = parse(UserPatch, await readJson(req, 64 * 1024), "user change");
    const passwordHash = body.password ? await hashPassword(body.password) : undefined;
    await iam.mutate((s) => patchUser(s, uid, { ...(body.description !== undefined ? { description: body.description } : {}), ...(passwordHash ? { passwordHash } : {}) }));
    if (passwordHash) await iam.revokeAll(uid);
    res.writeHead(204).end();
  });
  r.on("DELETE", `${BASE}/users/:uid`, async (_req, res, p) => {
    await iam.mutate((s) => removeUser(s, p["uid"]!));
    res.writeHead(204).end();
  });
  r.on("POST", `${BASE}/users/:uid/revoke`, async (_req, res, p) => {
    requireUser(iam.current, p["uid"]!);
    await iam.revokeAll(p["uid"]!);
    res.writeHead(204).end();
  });
  r.on("GET", `${BASE}/users/:uid/groups`, (_req, res, p) => {
    requireUser(iam.current, p["uid"]!);
    sendJson(res, 200, { array: groupsOf(iam.current, p["uid"]!).map((g) => ({ group: groupView(g) })) });
  });
  r.on("GET", `${BASE}/users/:uid/permissions`, (_req, res, p) => {
    requireUser(iam.current, p["uid"]!);
    const grants = grantsOf(iam.current, p["uid"]!);
    sendJson(res, 200, { direct: grants.filter((g) => !g.via).map((g) => ({ rid: g.rid, actions: g.actions.map((name) => ({ name })) })), groups: grants.filter((g) => g.via).map((g) => ({ rid: g.rid, gid: g.via, actions: g.actions.map((name) => ({ name })) })) });
  });

  r.on("GET", `${BASE}/groups`, (_req, res) => sendJson(res, 200, { array: Object.values(iam.current.groups).map(groupView) }));
  r.on("GET", `${BASE}/groups/:gid`, (_req, res, p) => sendJson(res, 200, groupView(requireGroup(iam.current, p["gid"]!))));
  r.on("PUT", `${BASE}/groups/:gid`, async (req, res, p) => {
    const gid = uidParam(p["gid"]!, "gid");
    const body = parse(GroupCreate, await optionalJson(req), "group");
    await iam.mutate((s) => addGroup(s, gid, body.description ?? ""));
    res.writeHead(201).end();
  });
  r.on("PATCH", `${BASE}/groups/:gid`, async (req, res, p) => {
    const body = parse(GroupCreate, await readJson(req, 64 * 1024), "group change");
    await iam.mutate((s) => patchGroup(s, p["gid"]!, body.description ?? ""));
    res.writeHead(204).end();
  });
  r.on("DELETE", `${BASE}/groups/:gid`, async (_req, res, p) => {
    await iam.mutate((s) => removeGroup(s, p["gid"]!));
    res.writeHead(204).end();
  });
  r.on("GET", `${BASE}/groups/:gid/users`, (_req, res, p) => sendJson(res, 200, { array: requireGroup(iam.current, p["gid"]!).members.map((uid) => ({ user: userView(requireUser(iam.current, uid)) })) }));
  r.on(["PUT", "DELETE"], `${BASE}/groups/:gid/users/:uid`, async (req, res, p) => {
    await iam.mutate((s) => setMembership(s, p["gid"]!, p["uid"]!, req.method === "PUT"));
    res.writeHead(req.method === "PUT" ? 201 : 204).end();
  });

  r.on("GET", `${BASE}/acls`, (_req, res) => sendJson(res, 200, { array: Object.values(iam.current.acls).map(aclView) }));
  r.on("GET", `${BASE}/acls/:rid`, (_req, res, p) => sendJson(res, 200, aclView(requireAcl(iam.current, p["rid"]!))));
  r.on("PUT", `${BASE}/acls/:rid`, async (req, res, p) => {
    const rid = parseRid(p["rid"]!);
    const body = parse(AclCreate, await optionalJson(req), "ACL");
    await iam.mutate((s) => addAcl(s, rid, body.description ?? ""));
    res.writeHead(201).end();
  });
  r.on("DELETE", `${BASE}/acls/:rid`, async (_req, res, p) => {
    await iam.mutate((s) => removeAcl(s, p["rid"]!));
    res.writeHead(204).end();
  });
  r.on("GET", `${BASE}/acls/:rid/permissions`, (_req, res, p) => {
    const acl = requireAcl(iam.current, p["rid"]!);
    const list = (t: Record<string, Action[]>, key: string) => Object.entries(t).map(([id, actions]) => ({ [key]: id, actions: actions.map((name) => ({ name })) }));
    sendJson(res, 200, { users: list(acl.users, "uid"), groups: list(acl.groups, "gid") });
  });
  r.on(["PUT", "DELETE"], `${BASE}/acls/:rid/users/:uid/:action`, async (req, res, p) => {
    const rid = parseRid(p["rid"]!);
    await iam.mutate((s) => setGrant(s, rid, { uid: p["uid"]! }, actionParam(p["action"]!), req.method === "PUT"));
    res.writeHead(204).end();
  });
  r.on(["PUT", "DELETE"], `${BASE}/acls/:rid/groups/:gid/:action`, async (req, res, p) => {
    const rid = parseRid(p["rid"]!);
    await iam.mutate((s) => setGrant(s, rid, { gid: p["gid"]! }, actionParam(p["action"]!), req.method === "PUT"));
    res.writeHead(204).end();
  });
  r.on("POST", `${BASE}/keys/rotate`, async (_req, res) => sendJson(res, 200, { kid: await iam.rotateKeys() }));

  r.on("GET", `${BASE}/audit`, async (req, res, _p, url) => {
    await audit.refresh();
    const query = parse(AuditQuery, Object.fromEntries(url.searchParams), "audit query");
    const records = audit.query(query);
    const jsonl = query.format === "jsonl" || /application\/(x-ndjson|jsonl)/.test(req.headers.accept ?? "");
    if (!jsonl) return sendJson(res, 200, { array: records });
    const text = records.map((r) => JSON.stringify(r)).join("\n") + (records.length ? "\n" : "");
    res.writeHead(200, { "content-type": "application/x-ndjson", "content-length": Buffer.byteLength(text), "content-disposition": 'attachment; filename="caravel-audit.jsonl"' });
    res.end(text);
  });

  return async (req, res, ctx) => {
    contexts.set(req, ctx);
    try {
      const url = new URL(req.url ?? "/", "http://localhost");
      const found = r.match(req.method ?? "GET", url.pathname);
      if (!found) throw new CaravelError("NOT_FOUND", `no such IAM endpoint: ${req.method} ${url.pathname}`);
      if ("allowed" in found) {
        res.setHeader("allow", [...new Set(found.allowed)].join(", "));
        throw new CaravelError("METHOD_NOT_ALLOWED", `${req.method} is not allowed on ${url.pathname}; use ${[...new Set(found.allowed)].join(" or ")}`);
      }
      if (ctx.auth) {
        const decision = iamDecision(req.method ?? "GET", url.pathname, ctx.auth.identity.uid);
        for (const c of decision.checks) {
          if (!isAllowed(who(req), c.resource, c.action)) throw new CaravelError("FORBIDDEN", `${ctx.auth.identity.uid} may not ${c.action} ${c.resource}; ask an administrator for that permission`);
        }
      }
      await found.handler(req, res, found.params, url);
    } catch (error) {
      renderIamError(res, error, deps.log);
    }
  };
}

function parseRid(rid: string): string {
  if (!/^[a-z][a-z0-9_-]*(:[^\s:]+)*(:\/[^\s]*)?$/i.test(rid) || /(^|\/)\.\.?(\/|$)/.test(rid)) {
    throw new CaravelError("INVALID_REQUEST", `resource id ${JSON.stringify(rid)} must look like caravel:service:/team-a (URL-encode the slashes: caravel:service:%2Fteam-a)`, { path: "rid" });
  }
  return rid;
}
