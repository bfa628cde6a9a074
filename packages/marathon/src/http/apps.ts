/** `/v2/apps`: list, create, update (single and bulk), delete, restart, tasks and versions. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { CaravelError, isUnder, parseAppDefinition, pathIdProblem, resolvePathId, type AppDefinition } from "@caravel/api";
import { Router, sendJson, sendText } from "@caravel/runtime";
import { appInfoBytes, appInfoView, taskView } from "../core/views.js";
import { applyAppUpdate } from "./app-update.js";
import { flag, InvalidObject, labelSelector, notFound, readBody, sendDeployment } from "./common.js";
import type { ApiContext } from "./context.js";

export function appRoutes(router: Router, ctx: ApiContext): void {
  router.on("GET", "/v2/apps", (_req, res, _p, url) => listApps(ctx, res, url));
  router.on("POST", "/v2/apps", (req, res, _p, url) => createApp(ctx, req, res, url));
  router.on(["PUT", "PATCH"], "/v2/apps", (req, res, _p, url) => bulkUpdate(ctx, req, res, url));
  router.on(["GET", "PUT", "PATCH", "DELETE", "POST"], "/v2/apps/*rest", (req, res, p, url) => appSubresource(ctx, req, res, p["rest"] ?? "", url));
}

export function appInfo(ctx: ApiContext, app: AppDefinition, embedTasks: boolean): Record<string, unknown> {
  const failure = ctx.core.lastTaskFailure.get(app.id);
  return appInfoView(app, { instances: ctx.core.instancesOf(app.id), deployments: ctx.core.deploymentsOf(app.id), embedTasks, ...(failure ? { lastTaskFailure: failure } : {}) });
}

const OPEN = Buffer.from('{"apps":[');
const COMMA = Buffer.from(",");
const CLOSE = Buffer.from("]}");

function listApps(ctx: ApiContext, res: ServerResponse, url: URL): void {
  const embed = url.searchParams.getAll("embed");
  const cmd = url.searchParams.get("cmd");
  const id = url.searchParams.get("id");
  const label = url.searchParams.get("label");
  const match = label ? labelSelector(label) : () => true;
  const apps = [...ctx.core.apps.values()]
    .filter((a) => (!cmd || (a.cmd ?? "").includes(cmd)) && (!id || a.id.includes(id)) && match(a.labels))
    .sort((a, b) => a.id.localeCompare(b.id));
  const embedTasks = embed.includes("apps.tasks") || embed.includes("tasks");
  // Assembled from per-app bytes cached across requests (views.ts): 1,000 apps × 10 tasks would
  // otherwise rebuild, stringify and encode ~5 MB on every call.
  const parts: Buffer[] = [OPEN];
  apps.forEach((a, n) => {
    const failure = ctx.core.lastTaskFailure.get(a.id);
    if (n > 0) parts.push(COMMA);
    parts.push(appInfoBytes(a, { instances: ctx.core.instancesOf(a.id), deployments: ctx.core.deploymentsOf(a.id), embedTasks, ...(failure ? { lastTaskFailure: failure } : {}) }));
  });
  parts.push(CLOSE);
  const body = Buffer.concat(parts);
  res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
  res.end(body);
}

function validateId(id: string): string {
  const problem = pathIdProblem(id);
  if (problem) throw new InvalidObject([{ path: "/id", errors: [problem] }]);
  return resolvePathId(id);
}

async function createApp(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const body = await readBody(req);
  const parsed = parseAppDefinition(body);
  if (!parsed.ok) throw new InvalidObject(parsed.details);
  const app = parsed.app;
  if (ctx.core.apps.has(app.id)) throw new CaravelError("CONFLICT", `An app with id [${app.id}] already exists.`);
  if (ctx.groupIds().has(app.id)) throw new CaravelError("CONFLICT", `A group with id [${app.id}] already exists; choose another app id.`);
  const target = new Map(ctx.core.apps).set(app.id, app);
  const result = await ctx.core.deploy({ target, force: flag(url, "force") });
  const stored = ctx.core.apps.get(app.id)!;
  ctx.events.emit("api_post_event", { clientIp: req.socket.remoteAddress ?? "", uri: `/v2/apps${app.id}`, appDefinition: stored });
  sendJson(res, 201, { ...appInfo(ctx, stored, false), deployments: [{ id: result.deploymentId }] }, { location: `/v2/apps${app.id}`, "marathon-deployment-id": result.deploymentId });
}

async function bulkUpdate(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const body = await readBody(req);
  if (!Array.isArray(body)) throw new InvalidObject([{ path: "/", errors: ["expected an array of app definitions"] }]);
  const partial = req.method === "PATCH" || flag(url, "partialUpdate", true);
  const target = new Map(ctx.core.apps);
  const problems: { path: string; errors: string[] }[] = [];
  body.forEach((raw, i) => {
    const rawId = (raw as { id?: unknown })?.id;
    if (typeof rawId !== "string") return problems.push({ path: `/${i}/id`, errors: ["is required: every app in a bulk update needs its id"] });
    try {
      const id = validateId(rawId);
      const base = ctx.core.apps.get(id);
      if (!base && req.method === "PATCH") throw new InvalidObject([{ path: `/${i}/id`, errors: [`App '${id}' does not exist; PATCH only changes existing apps`] }]);
      target.set(id, applyAppUpdate(id, base, raw, partial, `/${i}`));
    } catch (error) {
      if (error instanceof InvalidObject) problems.push(...error.details.map((d) => ({ ...d, path: d.path.startsWith(`/${i}`) ? d.path : `/${i}${d.path}` })));
      else throw error;
    }
    return undefined;
  });
  if (problems.length) throw new InvalidObject(problems);
  const result = await ctx.core.deploy({ target, force: flag(url, "force") });
  sendDeployment(res, 200, result);
}

async function appSubresource(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, rest: string, url: URL): Promise<void> {
  const method = req.method ?? "GET";
  const path = "/" + rest.replace(/^\/+|\/+$/g, "");
  let m: RegExpExecArray | null;
  if (method === "GET" && path.endsWith("/*")) return groupApps(ctx, res, path.slice(0, -2));
  if ((m = /^(.*)\/restart$/.exec(path)) && method === "POST") return restart(ctx, res, validateId(m[1]!), url);
  if ((m = /^(.*)\/tasks\/([^/]+)$/.exec(path)) && (method === "DELETE" || method === "GET")) return oneTask(ctx, req, res, validateId(m[1]!), m[2]!, url);
  if ((m = /^(.*)\/tasks$/.exec(path)) && (method === "GET" || method === "DELETE")) return appTasks(ctx, req, res, validateId(m[1]!), url);
  if ((m = /^(.*)\/versions\/([^/]+)$/.exec(path)) && method === "GET") {
    const app = await ctx.repo.appVersion(validateId(m[1]!), decodeURIComponent(m[2]!));
    if (!app) throw notFound(`App '${m[1]}' does not exist in version ${m[2]}`);
    return sendJson(res, 200, app);
  }
  if ((m = /^(.*)\/versions$/.exec(path)) && method === "GET") {
    const id = validateId(m[1]!);
    if (!ctx.core.apps.has(id)) throw notFound(`App '${id}' does not exist`);
    return sendJson(res, 200, { versions: (await ctx.repo.versions(id)).reverse() });
  }
  const id = validateId(path);
  switch (method) {
    case "GET": {
      const app = ctx.core.apps.get(id);
      if (!app) throw notFound(`App '${id}' does not exist`);
      return sendJson(res, 200, { app: appInfo(ctx, app, true) });
    }
    case "PUT":
    case "PATCH":
      return updateApp(ctx, req, res, id, url);
    case "DELETE": {
      if (!ctx.core.apps.has(id)) throw notFound(`App '${id}' does not exist`);
      const target = new Map(ctx.core.apps);
      target.delete(id);
      const result = await ctx.core.deploy({ target, force: flag(url, "force") });
      ctx.events.emit("api_post_event", { clientIp: req.socket.remoteAddress ?? "", uri: `/v2/apps${id}`, appDefinition: { id } });
      return sendDeployment(res, 200, result);
    }
    default:
      throw new CaravelError("METHOD_NOT_ALLOWED", `${method} is not allowed on /v2/apps${id}`);
  }
}

async function updateApp(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, id: string, url: URL): Promise<void> {
  const body = await readBody(req);
  const base = ctx.core.apps.get(id);
  if (!base && req.method === "PATCH") throw notFound(`App '${id}' does not exist`);
  let next: AppDefinition;
  const version = (body as { version?: unknown })?.version;
  if (typeof version === "string" && Object.keys(body as object).every((k) => k === "version" || k === "id")) {
    const old = await ctx.repo.appVersion(id, version);
    if (!old) throw notFound(`App '${id}' does not exist in version ${version}`);
    next = old;
  } else next = applyAppUpdate(id, base, body, req.method === "PATCH" || flag(url, "partialUpdate", true));
  const result = await ctx.core.deploy({ target: new Map(ctx.core.apps).set(id, next), force: flag(url, "force") });
  ctx.events.emit("api_post_event", { clientIp: req.socket.remoteAddress ?? "", uri: `/v2/apps${id}`, appDefinition: ctx.core.apps.get(id) });
  sendDeployment(res, base ? 200 : 201, result, base ? {} : { location: `/v2/apps${id}` });
}

async function restart(ctx: ApiContext, res: ServerResponse, id: string, url: URL): Promise<void> {
  const app = ctx.core.apps.get(id);
  if (!app) throw notFound(`App '${id}' does not exist`);
  const result = await ctx.core.deploy({ target: new Map(ctx.core.apps), force: flag(url, "force"), restart: new Set([id]) });
  sendDeployment(res, 200, result);
}

function groupApps(ctx: ApiContext, res: ServerResponse, group: string): void {
  const gid = validateId(group);
  sendJson(res, 200, { "*": [...ctx.core.apps.values()].filter((a) => isUnder(a.id, gid)).map((a) => appInfo(ctx, a, true)) });
}

async function appTasks(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, id: string, url: URL): Promise<void> {
  const app = ctx.core.apps.get(id);
  if (!app) throw notFound(`App '${id}' does not exist`);
  const instances = ctx.core.instancesOf(id).filter((i) => i.goal === "running");
  if (req.method === "GET") {
    if ((req.headers.accept ?? "").includes("text/plain")) {
      const line = [id.slice(1).replace(/\//g, "_"), String(instances[0]?.servicePorts[0] ?? 0), ...instances.map((i) => `${i.hostname}:${i.ports[0] ?? 0}`)].join(" ");
      return sendText(res, 200, line + "\n");
    }
    return sendJson(res, 200, { tasks: instances.map(taskView) });
  }
  const host = url.searchParams.get("host");
  const victims = instances.filter((i) => !host || i.hostname === host);
  return killTasks(ctx, res, app, victims, url);
}

async function oneTask(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, id: string, taskId: string, url: URL): Promise<void> {
  const app = ctx.core.apps.get(id);
  if (!app) throw notFound(`App '${id}' does not exist`);
  const instance = ctx.core.instancesOf(id).find((i) => i.taskId === taskId || i.instanceId === taskId);
  if (!instance) throw notFound(`Task '${taskId}' does not exist`);
  if (req.method === "GET") return sendJson(res, 200, { task: taskView(instance) });
  return killTasks(ctx, res, app, [instance], url, true);
}

/** Kills tasks; with `scale=true` also lowers `instances` by as many, as a deployment. */
export async function killTasks(ctx: ApiContext, res: ServerResponse, app: AppDefinition, victims: ReturnType<ApiContext["core"]["instancesOf"]>, url: URL, single = false): Promise<void> {
  if (flag(url, "scale") && flag(url, "wipe")) throw new InvalidObject([{ path: "/", errors: ["scale and wipe cannot both be set"] }]);
  if (flag(url, "scale")) {
    const next = { ...app, instances: Math.max(0, app.instances - victims.length) };
    for (const v of victims) ctx.core.killInstance(v, "decommissioned");
    const result = await ctx.core.deploy({ target: new Map(ctx.core.apps).set(app.id, next), force: true });
    return sendDeployment(res, 200, result);
  }
  for (const v of victims) ctx.core.killInstance(v, flag(url, "wipe") ? "decommissioned" : "stopped");
  ctx.core.tick();
  const views = victims.map(taskView);
  sendJson(res, 200, single ? { task: views[0] } : { tasks: views });
}
