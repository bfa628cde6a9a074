/** caravel-universe's HTTP server: the Cosmos API, /capabilities, /health and /metrics. */
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  CAPABILITIES_TYPE, DescribeRequest, defaultAuthorizationValue, InstallRequest, ListRequest, ListVersionsRequest, RenderRequest,
  RepositoryAddRequest, RepositoryDeleteRequest, SearchRequest, ServiceDescribeRequest, ServiceUpdateRequest, UninstallRequest, negotiate,
} from "@caravel/api";
import type { Store } from "@caravel/coordination";
import { MetricsRegistry, Router, listen, sendJson, sendText, type Listening, type Logger } from "@caravel/runtime";
import { z } from "zod";
import type { UniverseConfig } from "../config.js";
import { CosmosError } from "../errors.js";
import { MarathonClient } from "../marathon.js";
import { MasterClient } from "../master.js";
import { DEFAULT_REFRESH, Repositories } from "../repositories.js";
import { PackageService } from "../service.js";
import { InstalledServices } from "../installed.js";
import { templateOf, type PackageEntry } from "../model.js";
import { packageMetadata } from "../render/labels.js";
import { RawJson, runRpc, send, sendCosmosError, type RpcSpec } from "./rpc.js";

export interface UniverseDeps {
  config: Pick<UniverseConfig, "port" | "ip" | "marathon" | "uninstall_timeout"> &
    Partial<Pick<UniverseConfig, "repository_refresh" | "repository_retry">> & { master?: string | undefined } & { repositories?: { name: string; uri: string }[] | undefined };
  store: Store;
  log: Logger;
  /** Default repositories when the Store holds none (the built-in one unless overridden). */
  defaults: { name: string; uri: string }[];
}

export interface UniverseServer {
  listen(): Promise<Listening>;
  close(): Promise<void>;
  repositories: Repositories;
}

/** Package entries are immutable once loaded: each describe body (v2 flat, v3 wrapped) is encoded once. */
const describeBodies = new WeakMap<object, { v1?: Buffer; v2?: Buffer; v3?: Buffer }>();
function describeBody(entry: PackageEntry, version: number): Buffer {
  let bodies = describeBodies.get(entry);
  if (!bodies) describeBodies.set(entry, (bodies = {}));
  if (version >= 3) return (bodies.v3 ??= Buffer.from(`{"package":${JSON.stringify(entry)}}`));
  if (version === 2) return (bodies.v2 ??= Buffer.from(JSON.stringify(entry)));
  return (bodies.v1 ??= Buffer.from(JSON.stringify(describeV1(entry))));
}

/** The pre-1.10 shape (old CLIs): package.json fields, and the template as text beside config and resource. */
function describeV1(entry: PackageEntry): Record<string, unknown> {
  const { releaseVersion: _r, ...pkg } = packageMetadata(entry);
  return {
    package: pkg,
    marathonMustache: templateOf(entry) ?? "",
    ...(entry.config ? { config: entry.config } : {}),
    ...(entry.resource ? { resource: entry.resource } : {}),
    ...(entry.command ? { command: entry.command } : {}),
  };
}

const CAPABILITIES = ["PACKAGE_MANAGEMENT", "SUPPORT_CLUSTER_REPORT", "METRONOME", "LOGGING", "LOGGING_V2"].map((name) => ({ name }));

export function createServer(deps: UniverseDeps): UniverseServer {
  const { log } = deps;
  const repos = new Repositories(deps.store, deps.config.repositories ?? deps.defaults, log, {
    refreshMs: (deps.config.repository_refresh ?? DEFAULT_REFRESH.refreshMs / 1000) * 1000,
    retryMs: (deps.config.repository_retry ?? DEFAULT_REFRESH.retryMs / 1000) * 1000,
  });
  const marathon = new MarathonClient(deps.config.marathon);
  const service = new PackageService(repos, marathon, deps.config.uninstall_timeout * 1000, deps.config.master ? new MasterClient(deps.config.master) : undefined);
  const installed = new InstalledServices(repos, marathon);
  const metrics = new MetricsRegistry();
  const router = new Router();

  const RPCS: string[] = [];
  const rpc = <T>(path: string, spec: RpcSpec<T>, fn: (body: T, version: number, req: IncomingMessage) => Promise<unknown>) => {
    RPCS.push(path);
    const counter = metrics.counter(`requests${path.replace(/\//g, "_")}`);
    router.on("POST", path, async (req, res) => {
      counter.inc();
      const started = performance.now();
      await runRpc(req, res, spec, log, (body, version) => fn(body, version, req));
      metrics.observe(`latency${path.replace(/\//g, "_")}`, performance.now() - started);
    });
  };
  // The caller's token is passed on to Marathon and the master; without one (a loopback caller), this
  // process's own service-account token, if it has one (setDefaultAuthorization in main.ts).
  const auth = async (req: IncomingMessage): Promise<string | undefined> => req.headers.authorization ?? (await defaultAuthorizationValue());

  rpc("/package/search", { kind: "search", body: SearchRequest, responses: [1] }, async (b) => new RawJson((await repos.catalog()).searchBody(b.query)));
  rpc("/package/describe", { kind: "describe", body: DescribeRequest, responses: [3, 2, 1] }, async (b, v) => {
    const { entry } = (await repos.catalog()).resolve(b.packageName, b.packageVersion);
    return new RawJson(describeBody(entry, v));
  });
  rpc("/package/list-versions", { kind: "list-versions", body: ListVersionsRequest, responses: [1] }, async (b) => ({ results: (await repos.catalog()).versions(b.packageName) }));
  rpc("/package/render", { kind: "render", body: RenderRequest, responses: [1] }, async (b) => {
    const { marathonJson } = await service.render(b);
    if (!marathonJson) throw new CosmosError("ServiceMarathonTemplateNotFound", `package ${b.packageName} has no marathon.json.mustache, so there is nothing to render`, 400, { packageName: b.packageName });
    return { marathonJson };
  });
  rpc("/package/install", { kind: "install", body: InstallRequest, responses: [2, 1] }, async (b, v, req) => service.install(b, await auth(req), v));
  rpc("/package/uninstall", { kind: "uninstall", body: UninstallRequest, responses: [1] }, async (b, _v, req) => service.uninstall(b, await auth(req)));
  rpc("/package/list", { kind: "list", body: ListRequest, responses: [1] }, async (b, _v, req) => service.list(b, await auth(req)));

  rpc("/service/describe", { kind: "describe", ns: "service", body: ServiceDescribeRequest, responses: [1] }, async (b, _v, req) => installed.describe(b, await auth(req)));
  rpc("/service/update", { kind: "update", ns: "service", body: ServiceUpdateRequest, responses: [1] }, async (b, _v, req) => installed.update(b, await auth(req)));

  const withErrors = async (list: { name: string; uri: string }[]) => {
    await repos.catalog();
    return list.map((r) => ({ ...r, errors: repos.errorsOf(r.name) }));
  };
  rpc("/package/repository/list", { kind: "repository.list", body: z.object({}), responses: [1] }, async () => ({ repositories: await withErrors(await repos.list()) }));
  rpc("/package/repository/add", { kind: "repository.add", body: RepositoryAddRequest, responses: [1] }, async (b) => {
    if (!/^(https?|file):\/\//.test(b.uri) && !b.uri.startsWith("/")) {
      throw new CosmosError("UnsupportedRepositoryUri", `repository uri ${JSON.stringify(b.uri)} is not supported; use http://, https://, file:// or an absolute path`, 400, { uri: b.uri });
    }
    return { repositories: await withErrors(await repos.add({ name: b.name, uri: b.uri }, b.index)) };
  });
  rpc("/package/repository/delete", { kind: "repository.delete", body: RepositoryDeleteRequest, responses: [1] }, async (b) => ({ repositories: await withErrors(await repos.delete(b.name, b.uri)) }));

  router.on("GET", "/capabilities", (req, res) => {
    const chosen = negotiate(req.headers.accept, [CAPABILITIES_TYPE, "application/json"]);
    if (!chosen) return sendCosmosError(res, new CosmosError("UnsupportedContentType", `accept ${CAPABILITIES_TYPE}`, 406), log);
    send(res, 200, chosen, { capabilities: CAPABILITIES });
  });
  router.on("GET", "/health", (_req, res) => sendJson(res, 200, { healthy: true }));
  router.on("GET", "/metrics", (_req, res) => sendText(res, 200, metrics.prometheus("caravel_universe"), { "content-type": "text/plain; version=0.0.4" }));
  router.on("GET", "/metrics/snapshot", (_req, res) => sendJson(res, 200, metrics.snapshot()));

  const base = router.listener(log);
  // Admin Router strips /cosmos from /cosmos/service/<rpc>; a caller reaching this process directly may not.
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.url?.startsWith("/cosmos/service/")) req.url = req.url.slice("/cosmos".length);
    // A Cosmos client reads every error as {type, message, data}, unknown RPCs and wrong methods included.
    if (req.url?.startsWith("/package/") || req.url?.startsWith("/service/")) {
      const path = req.url.split("?")[0]!;
      const found = router.match(req.method ?? "GET", path);
      if (!found) return sendCosmosError(res, new CosmosError("EndpointNotFound", `there is no Cosmos RPC at ${path}; the RPCs are ${RPCS.join(", ")}`, 404, { path }), log);
      if ("allowed" in found) {
        res.setHeader("allow", "POST");
        return sendCosmosError(res, new CosmosError("MethodNotAllowed", `${path} is an RPC: send POST with a JSON body (got ${req.method})`, 405, { path, method: req.method }), log);
      }
    }
    base(req, res);
  };
  let listening: Listening | undefined;
  return {
    repositories: repos,
    async listen() {
      listening = await listen(listener, deps.config.port, deps.config.ip);
      log.info({ url: listening.url }, "caravel-universe listening");
      // Load repositories in the background so the first request is fast and problems show in the log early.
      void repos.catalog().catch((error: unknown) => log.error({ err: error }, "loading repositories failed"));
      return listening;
    },
    async close() {
      await listening?.close();
    },
  };
}
