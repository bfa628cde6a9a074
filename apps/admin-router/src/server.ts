/**
 * The admin router: one door for people and tools. Per request it checks the target, matches the
 * route, authenticates the token, authorises the route (and the body, for Marathon definitions),
 * then answers locally (IAM, health, metadata) or proxies to the upstream, filtering views to what
 * the caller may read. Every mutating request leaves an audit record.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { randomUUID } from "node:crypto";
import { CaravelError, isCaravelError } from "@caravel/api";
import { WWW_AUTHENTICATE, isAllowed, issueToken, superuserIdentity, type Identity } from "@caravel/auth";
import { MetricsRegistry, readBody, sendJson, type Logger } from "@caravel/runtime";
import { AuditLog } from "./audit/audit.js";
import type { RouterConfig } from "./config.js";
import { createIamHandler } from "./iam/http.js";
import { IamService, type Authenticated } from "./iam/service.js";
import { StoreLoginLimiter } from "./iam/shared-rate-limit.js";
import { sendLoginRedirect, sendMetrics, sendPlaceholder, systemHealth, versionJson } from "./local.js";
import { responseFilters } from "./proxy/filters.js";
import { Forwarder, isConnectError, type ForwardRequest } from "./proxy/forward.js";
import { upstreamRequestHeaders } from "./proxy/headers.js";
import { spliceUpgrade } from "./proxy/upgrade.js";
import { bodyChecks } from "./routing/body.js";
import { parseTarget } from "./routing/paths.js";
import { decide, type Decision } from "./routing/policy.js";
import { matchRoute, splitServicePath, type Route } from "./routing/table.js";
import { Upstreams } from "./routing/upstreams.js";
import type { RouterStore } from "./store/store.js";

export interface RouterDeps {
  config: RouterConfig;
  store: RouterStore;
  log: Logger;
  metrics?: MetricsRegistry;
  /** Milliseconds since the epoch (tests move time to expire tokens and rate limits). */
  clock?: () => number;
  tls?: { cert: string | Buffer; key: string | Buffer };
  onAdminCreated?: (uid: string, password: string, generated: boolean) => Promise<void> | void;
  /** The leading master from an election (set by main.ts for --master zk://…). */
  masterLeader?: { leader(): Promise<string>; close(): Promise<void> };
  /** Set when several router processes share the Store (cluster workers): names this one. */
  worker?: number;
}

export interface AdminRouter {
  listen(): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
  readonly iam: IamService;
  readonly audit: AuditLog;
}

/** The uid of the router's own token for its calls to backends (DC/OS' Admin Router uses this one). */
export const ROUTER_UID = "dcos_adminrouter";

type ProxyRoute = Extract<Route, { kind: "proxy" }>;
const MUTATING = (method: string) => !["GET", "HEAD", "OPTIONS"].includes(method);

export async function createServer(deps: RouterDeps): Promise<AdminRouter> {
  const { config, log } = deps;
  const metrics = deps.metrics ?? new MetricsRegistry();
  const limits = { maxFailuresPerUid: config.login_max_failures_per_uid, maxFailuresPerClient: config.login_max_failures_per_client, windowMs: config.login_window * 1000 };
  const iam = await IamService.open({
    store: deps.store,
    log,
    tokenTtlSeconds: config.token_ttl,
    limits,
    // Several routers on one Store (--zk, --workers) count failed logins together.
    ...(config.zk || deps.worker !== undefined ? { limiter: new StoreLoginLimiter(deps.store, log, limits) } : {}),
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(config.admin_password ? { adminPassword: config.admin_password } : {}),
    ...(deps.onAdminCreated ? { onAdminCreated: deps.onAdminCreated } : {}),
  });
  const audit = await AuditLog.open(deps.store, log, deps.worker === undefined ? "record-" : `w${deps.worker}-`);
  const stopFollowing = deps.worker === undefined ? undefined : iam.followStore();
  const clusterId = config.cluster_id ?? (await ensureClusterId(deps.store));
  // The router's own calls (leader, agents, Marathon apps and events, health) carry a token of its
  // own, so that backends checking tokens beyond loopback (--iam_url) answer them; renewed twice a day.
  const ownHeaders: Record<string, string> = {};
  const renewOwnToken = async () => {
    ownHeaders["authorization"] = `token=${(await issueToken(iam.keys, { uid: ROUTER_UID, ttlSeconds: 24 * 3600 })).token}`;
  };
  await renewOwnToken();
  const renewTimer = setInterval(() => void renewOwnToken().catch((error: unknown) => log.warn({ err: error }, "could not renew the router's own token")), 12 * 3600_000);
  renewTimer.unref();
  const upstreams = new Upstreams(
    { headers: ownHeaders, masters: deps.masterLeader ? [] : masterUrls(config.master), ...(deps.masterLeader ? { detectLeader: () => deps.masterLeader!.leader() } : {}), marathon: config.marathon, dns: config.dns_http, universe: config.universe, ...(config.console ? { console: config.console } : {}) },
    log,
  );
  const forwarder = new Forwarder();
  const proto = deps.tls ? "https" : "http";
  const iamHandler = createIamHandler({ iam, audit, log, secureCookies: Boolean(deps.tls), clusterId });
  const requests = metrics.counter("admin_router/requests", "requests received");
  const denied = metrics.counter("admin_router/denied", "requests refused (401/403)");
  const upstreamErrors = metrics.counter("admin_router/upstream_errors", "upstream failures (502/503/504)");
  metrics.gauge("admin_router/audit_records", () => audit.size);

  // The peer address is read once per request: after the response the socket may be gone.
  const clients = new WeakMap<IncomingMessage, string>();
  const clientOf = (req: IncomingMessage): string => {
    let client = clients.get(req);
    if (client === undefined) clients.set(req, (client = req.socket?.remoteAddress ?? "unknown"));
    return client;
  };
  const anonymous = (uid = "anonymous"): Authenticated => ({ identity: superuserIdentity(uid), claims: { uid, exp: 0, iat: 0, jti: undefined }, token: "", from: "authorization" });

  async function authenticate(req: IncomingMessage, required: boolean): Promise<Authenticated | undefined> {
    if (!config.auth) return anonymous();
    if (!required && !req.headers.authorization && !/dcos-acs-auth-cookie=/.test(req.headers.cookie ?? "")) return undefined;
    try {
      return await iam.authenticate(req.headers);
    } catch (error) {
      if (required) throw error;
      return undefined;
    }
  }

  function forbid(identity: Identity, checks: Decision["checks"]): void {
    for (const c of checks) {
      if (!isAllowed(identity, c.resource, c.action)) {
        throw new CaravelError("FORBIDDEN", `${identity.uid} may not ${c.action} ${c.resource}; ask an administrator to grant it (PUT /acs/api/v1/acls/<rid>/users/${identity.uid}/${c.action})`, { details: { resource: c.resource, action: c.action } });
      }
    }
  }

  /** Where a proxied route goes: origin, upstream path, and a name for errors. */
  async function resolve(route: ProxyRoute): Promise<{ name: string; origin: string; path: string; service?: string; rewrite?: boolean }> {
    const need = (url: string | undefined, flag: string, name: string) => {
      if (!url) throw new CaravelError("UPSTREAM_UNAVAILABLE", `no ${name} is configured; start the router with --${flag}`, { details: { upstream: name } });
      return new URL(url).origin;
    };
    switch (route.upstream) {
      case "master":
        return { name: "master", origin: await upstreams.leader(), path: route.path };
      case "marathon":
        return { name: "marathon", origin: need(config.marathon, "marathon", "marathon"), path: route.path };
      case "dns":
        return { name: "dns", origin: need(config.dns_http, "dns_http", "dns"), path: route.path };
      case "universe":
        return { name: "universe", origin: need(config.universe, "universe", "universe"), path: route.path };
      case "console":
        return { name: "console", origin: need(config.console, "console", "console"), path: route.path };
      case "agent":
        return { name: `agent ${route.agentId}`, origin: await upstreams.agent(route.agentId!), path: route.path };
      case "service": {
        const found = await upstreams.service(route.service!);
        const { rest } = splitServicePath(route.path, found.count);
        return { name: `service ${found.name}`, origin: found.target.origin, path: found.target.rewrite ? rest : route.path, service: found.name, rewrite: found.target.rewrite };
      }
    }
  }

  async function proxy(req: IncomingMessage, res: ServerResponse, route: ProxyRoute, auth: Authenticated | undefined, record: AuditContext): Promise<void> {
    const method = req.method ?? "GET";
    if (route.upstream === "console" && !config.console) return sendPlaceholder(res, route.path);
    const target = await resolve(route);
    let body: Buffer | undefined;
    if (auth) {
      const identity = auth.identity;
      const decision = decide(route, method, target.service);
      record.resource = decision.checks[0]?.resource;
      record.action = decision.checks[0]?.action;
      if (decision.reject) throw new CaravelError("INVALID_REQUEST", decision.reject);
      forbid(identity, decision.checks);
      if (decision.body && !identity.superuser) {
        body = await readBody(req, 16 * 1024 * 1024);
        let json: unknown;
        try {
          json = JSON.parse(body.toString("utf8"));
        } catch (error) {
          throw new CaravelError("MALFORMED_JSON", `request body is not valid JSON: ${(error as Error).message}`);
        }
        const checks = bodyChecks(decision.body.kind, decision.body.action, json, decision.body.base);
        record.resource ??= checks[0]?.resource;
        record.action ??= checks[0]?.action;
        forbid(identity, checks);
      }
      const unfiltered = identity.superuser || (decision.unfilteredIf !== undefined && isAllowed(identity, decision.unfilteredIf.resource, decision.unfilteredIf.action));
      Object.assign(record.forward, unfiltered ? {} : responseFilters(decision.filter, identity));
    }
    const headers = upstreamRequestHeaders(req.headers, {
      client: clientOf(req),
      proto,
      ...(auth ? { uid: auth.identity.uid } : {}),
      ...(auth?.from === "cookie" ? { cookieToken: auth.token } : {}),
      dropAuthorization: route.upstream === "dns",
    });
    // Mesos-DNS gets no caller token (as in DC/OS); the router vouches for the call with its own.
    if (route.upstream === "dns") headers["authorization"] = ownHeaders["authorization"]!;
    const replayable = body !== undefined || !(req.headers["content-length"] !== undefined && req.headers["content-length"] !== "0") && req.headers["transfer-encoding"] === undefined;
    for (let attempt = 0; ; attempt++) {
      const origin = attempt === 0 ? target.origin : await upstreams.leader();
      const fwd: ForwardRequest = { name: target.name, origin, path: target.path, method, headers, timeoutMs: route.timeoutMs, ...(body ? { body } : {}), ...record.forward, ...(target.service && target.rewrite ? { locationPrefix: `/service/${target.service}` } : {}) };
      try {
        if (!fwd.filterJson && !fwd.filterEvent) {
          const outcome = await forwarder.pipe(req, res, fwd, route.upstream === "master" && attempt === 0 && replayable);
          if (outcome === "redirected") {
            upstreams.invalidateLeader();
            continue;
          }
          return;
        }
        const up = await forwarder.request(req, fwd);
        if (route.upstream === "master" && up.statusCode === 307 && attempt === 0 && replayable) {
          await up.body.dump();
          upstreams.invalidateLeader();
          continue;
        }
        await forwarder.respond(res, fwd, up);
        return;
      } catch (error) {
        if (route.upstream === "master" && attempt === 0 && replayable && isConnectError(error)) {
          upstreams.invalidateLeader();
          continue;
        }
        throw error;
      }
    }
  }

  async function local(req: IncomingMessage, res: ServerResponse, route: Extract<Route, { kind: "local" }>, auth: Authenticated | undefined, record?: AuditContext): Promise<void> {
    switch (route.local) {
      case "health":
        return sendJson(res, 200, { status: "ok", version: versionJson().version });
      case "metrics":
        return sendMetrics(res, metrics);
      case "version":
        return sendJson(res, 200, versionJson(), { "cache-control": "no-cache" });
      case "ui-config":
        return sendJson(res, 200, { uiConfiguration: { plugins: {} }, clusterConfiguration: { firstUser: false, id: clusterId } });
      case "metadata":
        if (route.path === "/metadata") return sendJson(res, 200, { PUBLIC_IPV4: config.public_ip, CLUSTER_ID: clusterId });
        throw new CaravelError("NOT_FOUND", `no metadata file at ${route.path}; see /dcos-metadata/dcos-version.json`);
      case "buildinfo":
        return sendJson(res, 200, {});
      case "routes":
        return sendJson(res, 200, await explainRoute(new URL(route.path, "http://x").searchParams.get("path") ?? "", auth));
      case "system-health":
        return sendJson(res, 200, await systemHealth(upstreams.config, () => upstreams.leader()));
      case "iam":
        return iamHandler(req, res, { client: clientOf(req), ...(auth ? { auth } : {}), ...(record ? { noteLoginUid: (uid: string) => (record.uid = uid) } : {}) });
    }
  }

  /**
   * The route debug view (`/system/v1/routes?path=/service/kafka/x`): where a path would go and
   * what the caller would need, so that routing is never a guess.
   */
  async function explainRoute(path: string, auth: Authenticated | undefined): Promise<unknown> {
    if (!path.startsWith("/")) throw new CaravelError("INVALID_REQUEST", "query parameter path is required and must start with /, e.g. ?path=/service/kafka/", { path: "path" });
    const route = matchRoute(parseTarget(path));
    if (route.kind !== "proxy") return { path, route };
    const decision = decide(route, "GET");
    try {
      const target = await resolve(route);
      const checks = route.upstream === "service" ? decide(route, "GET", target.service).checks : decision.checks;
      return { path, upstream: route.upstream, name: target.name, origin: target.origin, upstreamPath: target.path, timeoutMs: route.timeoutMs, needs: checks, ...(decision.filter ? { filteredBy: decision.filter } : {}), allowedForYou: !auth || checks.every((c) => isAllowed(auth.identity, c.resource, c.action)) };
    } catch (error) {
      return { path, upstream: route.upstream, unresolved: isCaravelError(error) ? error.toJSON() : String(error) };
    }
  }

  interface AuditContext {
    uid: string;
    resource: string | undefined;
    action: string | undefined;
    result: "allowed" | "denied" | "failed" | undefined;
    reason: string | undefined;
    forward: Partial<ForwardRequest>;
  }

  function writeAudit(req: IncomingMessage, res: ServerResponse, path: string, ctx: AuditContext): void {
    const status = res.statusCode;
    const result = ctx.result ?? (status === 401 || status === 403 || status === 429 ? "denied" : status >= 400 ? "failed" : "allowed");
    void audit.append({
      time: new Date(deps.clock?.() ?? Date.now()).toISOString(),
      uid: ctx.uid,
      client: clientOf(req),
      method: req.method ?? "?",
      path,
      ...(ctx.resource ? { resource: ctx.resource } : {}),
      ...(ctx.action ? { action: ctx.action } : {}),
      status,
      result,
      ...(ctx.reason ? { reason: ctx.reason } : {}),
    });
  }

  function fail(req: IncomingMessage, res: ServerResponse, error: unknown, ctx: AuditContext): void {
    const err = isCaravelError(error) ? error : new CaravelError("INTERNAL", "internal error; see the admin router log", { cause: error });
    if (err.code === "INTERNAL") log.error({ err: error, url: req.url }, "request failed");
    if (err.code === "UNAUTHORIZED" || err.code === "FORBIDDEN") {
      denied.inc();
      ctx.result = "denied";
    }
    if (err.code === "UPSTREAM_UNAVAILABLE" || err.code === "UPSTREAM_TIMEOUT" || err.code === "NO_LEADER") upstreamErrors.inc();
    ctx.reason = err.message;
    if (res.headersSent) return void res.destroy();
    const headers: Record<string, string> = {};
    if (err.code === "UNAUTHORIZED") headers["www-authenticate"] = WWW_AUTHENTICATE;
    if (err.code === "UNAUTHORIZED" && /text\/html/.test(req.headers.accept ?? "")) return sendLoginRedirect(res, err.message, headers);
    sendJson(res, err.status, err.toJSON(), headers);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    requests.inc();
    clientOf(req);
    const method = req.method ?? "GET";
    const ctx: AuditContext = { uid: "anonymous", resource: undefined, action: undefined, result: undefined, reason: undefined, forward: {} };
    let path = (req.url ?? "/").split("?")[0]!;
    let isLogin = false;
    if (MUTATING(method)) res.once("finish", () => writeAudit(req, res, path, ctx));
    try {
      if (req.headers["transfer-encoding"] !== undefined && req.headers["content-length"] !== undefined) {
        throw new CaravelError("INVALID_REQUEST", "request has both Content-Length and Transfer-Encoding; send one of them");
      }
      const target = parseTarget(req.url ?? "/");
      path = target.path;
      const route = matchRoute(target);
      if (route.kind === "redirect") {
        res.writeHead(route.status, { location: route.location, "content-length": 0 });
        return void res.end();
      }
      isLogin = route.kind === "local" && route.local === "iam" && target.path.endsWith("/auth/login");
      const auth = await authenticate(req, route.auth);
      if (auth) ctx.uid = auth.identity.uid;
      if (isLogin) ctx.resource = "caravel:iam:login";
      if (route.kind === "local") await local(req, res, route, auth, isLogin ? ctx : undefined);
      else await proxy(req, res, route, auth, ctx);
    } catch (error) {
      fail(req, res, error, ctx);
    }
  }

  async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const refuse = (status: number, message: string, extra = "") => {
      const body = JSON.stringify({ code: status === 401 ? "UNAUTHORIZED" : status === 403 ? "FORBIDDEN" : "INVALID_REQUEST", message });
      socket.end(`HTTP/1.1 ${status} ${status === 401 ? "Unauthorized" : status === 403 ? "Forbidden" : status === 404 ? "Not Found" : status >= 500 ? "Bad Gateway" : "Bad Request"}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n${extra}\r\n${body}`);
    };
    try {
      const route = matchRoute(parseTarget(req.url ?? "/"));
      if (route.kind !== "proxy" || route.upstream === "console" && !config.console) return refuse(404, "nothing to upgrade to at this path");
      const auth = await authenticate(req, route.auth);
      const target = await resolve(route);
      if (auth) forbid(auth.identity, decide(route, req.method ?? "GET", target.service).checks);
      const headers = upstreamRequestHeaders(req.headers, { client: clientOf(req), proto, upgrade: true, ...(auth ? { uid: auth.identity.uid } : {}), ...(auth?.from === "cookie" ? { cookieToken: auth.token } : {}) });
      spliceUpgrade(req, socket, head, target.origin, target.path, headers, (error) => log.warn({ err: error, upstream: target.name }, "upgrade to upstream failed"));
    } catch (error) {
      const err = isCaravelError(error) ? error : new CaravelError("INTERNAL", "internal error");
      refuse(err.status, err.message, err.code === "UNAUTHORIZED" ? `www-authenticate: ${WWW_AUTHENTICATE}\r\n` : "");
    }
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => void handle(req, res);
  const options = { keepAliveTimeout: 65_000, requestTimeout: 0, headersTimeout: 60_000, maxHeaderSize: 32 * 1024 };
  const server = deps.tls ? createHttpsServer({ ...options, cert: deps.tls.cert, key: deps.tls.key }, listener) : createHttpServer(options, listener);
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => void handleUpgrade(req, socket, head));
  // Malformed requests (smuggling attempts, bad headers) get a clear 400 instead of a silent reset.
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const body = JSON.stringify({ code: "INVALID_REQUEST", message: `malformed HTTP request: ${error.code ?? error.message}` });
    socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });

  return {
    iam,
    audit,
    async listen() {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(config.port, config.ip, () => resolve());
      });
      upstreams.watchMarathon();
      const port = (server.address() as AddressInfo).port;
      const host = config.ip.includes(":") ? `[${config.ip}]` : config.ip;
      return { url: `${proto}://${host}:${port}`, port };
    },
    async close() {
      clearInterval(renewTimer);
      stopFollowing?.();
      upstreams.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await forwarder.close();
      await deps.masterLeader?.close();
    },
  };
}

async function ensureClusterId(store: RouterStore): Promise<string> {
  const path = "/caravel/admin-router/cluster-id";
  const existing = await store.getJson<string>(path);
  if (existing) return existing.value;
  const id = randomUUID();
  await store.putJson(path, id, { expectedVersion: -1 }).catch(() => undefined);
  return (await store.getJson<string>(path))?.value ?? id;
}

/** `--master` as Mesos tools give it: URLs or host:port pairs, comma-separated. */
export function masterUrls(flag: string): string[] {
  return flag
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((m) => {
      if (m.startsWith("zk://")) throw new CaravelError("INVALID_REQUEST", "--master zk://… must be the only master entry (the leader then comes from the ZooKeeper election)", { path: "master" });
      return /^https?:\/\//.test(m) ? m : `http://${m}`;
    });
}
