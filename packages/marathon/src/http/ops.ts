/** `/v2/tasks`, `/v2/deployments`, `/v2/queue` (+ explain and delay) and `/v2/groups`. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { isUnder, parentPath, parseGroupUpdate, pathIdProblem, resolvePathId, appsOfGroup, type AppDefinition } from "@caravel/api";
import { Router, sendJson, sendText } from "@caravel/runtime";
import { taskView } from "../core/views.js";
import { explainPlacement } from "../placement/explain.js";
import { isActive } from "../instances/instance.js";
import { freeReservationsOf } from "../resident/offers.js";
import { appInfo } from "./apps.js";
import { flag, InvalidObject, notFound, readBody, sendDeployment } from "./common.js";
import type { ApiContext } from "./context.js";
import { actionView, planView } from "../pods/plan-view.js";
import { isPodSpec, podOf } from "../pods/run-spec.js";

export function opsRoutes(router: Router, ctx: ApiContext): void {
  router.on("GET", "/v2/tasks", (req, res, _p, url) => listTasks(ctx, req, res, url));
  router.on("POST", "/v2/tasks/delete", (req, res, _p, url) => deleteTasks(ctx, req, res, url));
  router.on("GET", "/v2/deployments", (_q, res) => sendJson(res, 200, [...ctx.core.deployments.values()].map((d) => deploymentView(ctx, d))));
  router.on("DELETE", "/v2/deployments/:id", async (_q, res, p, url) => {
    const result = await ctx.core.cancelDeployment(p["id"]!, !flag(url, "force"));
    if (!result) {
      res.writeHead(202);
      res.end();
      return;
    }
    sendDeployment(res, 200, result);
  });
  router.on("GET", "/v2/queue", (_q, res, _p, url) => sendJson(res, 200, { queue: queueItems(ctx, url.searchParams.getAll("embed").includes("lastUnusedOffers")) }));
  router.on(["GET", "DELETE"], "/v2/queue/*rest", (req, res, p) => queueSub(ctx, req, res, "/" + (p["rest"] ?? "")));
  router.on("GET", "/v2/groups", (_q, res, _p, url) => sendJson(res, 200, groupView(ctx, "/", url)));
  router.on("POST", "/v2/groups", (req, res, _p, url) => putGroup(ctx, req, res, "/", url, true));
  router.on(["GET", "PUT", "DELETE", "POST", "PATCH"], "/v2/groups/*rest", (req, res, p, url) => groupSub(ctx, req, res, p["rest"] ?? "", url));
}

function deploymentView(ctx: ApiContext, plan: ReturnType<ApiContext["core"]["deployments"]["get"]> & object) {
  const step = plan.steps[plan.currentStep];
  return {
    id: plan.id,
    version: plan.version,
    ...planView(plan),
    currentActions: (step?.actions ?? []).map((a) => ({
      ...actionView(plan, a),
      readinessCheckResults: ctx.core.instancesOf(a.app).flatMap((i) => {
        const r = ctx.core.readiness.results.get(i.taskId);
        return r ? [r] : [];
      }),
    })),
    currentStep: Math.min(plan.currentStep + 1, plan.steps.length),
    totalSteps: plan.steps.length,
  };
}

function listTasks(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, url: URL): void {
  const statuses = [...url.searchParams.getAll("status"), ...url.searchParams.getAll("status[]")].map((s) => `TASK_${s.toUpperCase()}`);
  const tasks = [...ctx.core.instances.values()].filter((i) => (i.goal === "running" || i.state === "TASK_RUNNING") && (statuses.length === 0 || statuses.includes(i.state)));
  if ((req.headers.accept ?? "").includes("text/plain")) {
    const byApp = new Map<string, typeof tasks>();
    for (const t of tasks) byApp.set(t.appId, [...(byApp.get(t.appId) ?? []), t]);
    const lines = [...byApp].map(([id, list]) => [id.slice(1).replace(/\//g, "_"), String(list[0]?.servicePorts[0] ?? 0), ...list.map((t) => `${t.hostname}:${t.ports[0] ?? 0}`)].join(" "));
    return sendText(res, 200, lines.join("\n") + "\n");
  }
  sendJson(res, 200, { tasks: tasks.map(taskView) });
}

async function deleteTasks(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const body = (await readBody(req)) as { ids?: unknown };
  if (!body || !Array.isArray(body.ids) || body.ids.some((id) => typeof id !== "string")) throw new InvalidObject([{ path: "/ids", errors: ["expected an array of task ids"] }]);
  const byTask = new Map([...ctx.core.instances.values()].map((i) => [i.taskId, i]));
  const unknown = (body.ids as string[]).filter((id) => !byTask.has(id));
  if (unknown.length) throw new InvalidObject([{ path: "/ids", errors: [`unknown task id(s): ${unknown.join(", ")}`] }]);
  const victims = (body.ids as string[]).map((id) => byTask.get(id)!);
  const byApp = new Map<string, typeof victims>();
  for (const v of victims) byApp.set(v.appId, [...(byApp.get(v.appId) ?? []), v]);
  if (!flag(url, "scale")) {
    for (const v of victims) ctx.core.killInstance(v, flag(url, "wipe") ? "decommissioned" : "stopped");
    ctx.core.tick();
    return sendJson(res, 200, { tasks: victims.map(taskView) });
  }
  const target = new Map(ctx.core.apps);
  for (const [appId, list] of byApp) {
    const app = target.get(appId);
    if (app) target.set(appId, { ...app, instances: Math.max(0, app.instances - list.length) });
    for (const v of list) ctx.core.killInstance(v, "decommissioned");
  }
  sendDeployment(res, 200, await ctx.core.deploy({ target, force: true }));
}

function queueItems(ctx: ApiContext, embedOffers: boolean) {
  const now = ctx.core.now();
  return [...ctx.core.queue].flatMap(([appId, count]) => {
    const app = ctx.core.specOf(appId);
    if (!app) return [];
    const delay = ctx.core.backoffs.get(appId);
    const stats = ctx.core.queueStats.get(appId);
    const left = delay ? Math.max(0, Math.ceil((delay.delayUntil - now) / 1000)) : 0;
    return [
      {
        ...(isPodSpec(app) ? { pod: podOf(app) } : { app: appInfo(ctx, app, false) }),
        count,
        role: app.role ?? "*",
        delay: { timeLeftSeconds: left, overdue: left === 0 },
        since: new Date(stats?.since ?? now).toISOString(),
        processedOffersSummary: stats?.summary() ?? { processedOffersCount: 0, unusedOffersCount: 0 },
        ...(embedOffers ? { lastUnusedOffers: lastUnusedOffers(ctx, app) } : {}),
      },
    ];
  });
}

function lastUnusedOffers(ctx: ApiContext, app: AppDefinition) {
  return explain(ctx, app).agents.filter((a) => !a.fits).map((a) => {
    const offer = ctx.core.lastOffers.get(a.agentId)!;
    return {
      offer: { id: offer.offerId, agentId: offer.agentId, hostname: offer.hostname, resources: offer.resources, attributes: Object.entries(offer.attributes).map(([name, text]) => ({ name, text })) },
      timestamp: new Date(offer.receivedAt).toISOString(),
      reason: [a.rejectedBy ?? "unknown"],
    };
  });
}

function explain(ctx: ApiContext, app: AppDefinition) {
  const offers = [...ctx.core.lastOffers.values()]
    .map((o) => (ctx.core.drainingAgents.has(o.agentId) ? { ...o, draining: true } : o))
    .sort((a, b) => a.hostname.localeCompare(b.hostname));
  const lastOfferAt = offers.reduce<number | undefined>((t, o) => (t === undefined || o.receivedAt > t ? o.receivedAt : t), undefined);
  const delay = ctx.core.backoffs.get(app.id)?.delayUntil;
  const waiting = ctx.core.queue.get(app.id) ?? 0;
  // Resident apps: instances whose reservation is free can only go back to its agent.
  const free = freeReservationsOf(ctx.core.reservations, app.id, (id) => ctx.core.instances.has(id) && isActive(ctx.core.instances.get(id)!));
  return explainPlacement({
    app,
    waiting,
    offers,
    placed: ctx.core.instancesOf(app.id).filter((i) => i.goal === "running").map((i) => i.attributes),
    now: ctx.core.now(),
    defaultAcceptedRoles: ["*"],
    ...(delay !== undefined ? { delayUntil: delay } : {}),
    ...(lastOfferAt !== undefined ? { lastOfferAt } : {}),
    ...(free.length && waiting <= free.length ? { pinned: free.map((r) => ({ agentId: r.agentId, hostname: r.hostname })) } : {}),
  });
}

/**
 * Announces, once per deployment and app, a deployment whose instances have waited for offers longer
 * than `afterMs` (Caravel's `deployment_waiting`: the explain summary and closest fit, so that a person
 * watching the stream sees why nothing starts). Returns the stop function.
 */
export function watchWaitingDeployments(ctx: ApiContext, afterMs = 30_000): () => void {
  const told = new Set<string>();
  const timer = setInterval(() => {
    const now = ctx.core.now();
    const live = new Set<string>();
    for (const plan of ctx.core.deployments.values()) {
      for (const appId of plan.affectedApps) {
        const key = `${plan.id} ${appId}`;
        live.add(key);
        const since = ctx.core.queueStats.get(appId)?.since;
        const app = ctx.core.specOf(appId);
        if (told.has(key) || since === undefined || now - since < afterMs || !app) continue;
        told.add(key);
        const why = explain(ctx, app);
        ctx.events.emit("deployment_waiting", { id: plan.id, appId, waitingSince: new Date(since).toISOString(), waiting: why.waiting, summary: why.summary, ...(why.closestFit ? { closestFit: why.closestFit } : {}) });
      }
    }
    for (const key of told) if (!live.has(key)) told.delete(key);
  }, Math.min(5_000, afterMs));
  timer.unref();
  return () => clearInterval(timer);
}

function queueSub(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, path: string): void {
  let m: RegExpExecArray | null;
  if ((m = /^(.*)\/explain$/.exec(path)) && req.method === "GET") {
    const app = ctx.core.specOf(resolvePathId(m[1]!));
    if (!app) throw notFound(`App '${m[1]}' does not exist`);
    return sendJson(res, 200, explain(ctx, app));
  }
  if ((m = /^(.*)\/delay$/.exec(path)) && req.method === "DELETE") {
    const id = resolvePathId(m[1]!);
    if (!ctx.core.resetDelay(id)) throw notFound(`Application ${id} not found in tasks queue.`);
    ctx.core.tick();
    res.writeHead(200);
    res.end();
    return;
  }
  throw notFound(`no such endpoint: ${req.method} /v2/queue${path}`);
}

// ---- groups ------------------------------------------------------------------------------

/** Group ids implied by the apps (every ancestor path). */
export function groupIdsOf(apps: Iterable<AppDefinition>): Set<string> {
  const ids = new Set<string>(["/"]);
  for (const app of apps) for (let p = parentPath(app.id); p !== "/"; p = parentPath(p)) ids.add(p);
  return ids;
}

function groupView(ctx: ApiContext, id: string, url: URL): Record<string, unknown> {
  const embed = url.searchParams.getAll("embed");
  const tasks = embed.includes("group.apps.tasks");
  const ids = ctx.groupIds();
  if (!ids.has(id)) throw notFound(`Group '${id}' does not exist`);
  const build = (gid: string): Record<string, unknown> => ({
    id: gid,
    apps: [...ctx.core.apps.values()].filter((a) => parentPath(a.id) === gid).map((a) => appInfo(ctx, a, tasks)),
    groups: [...ids].filter((g) => g !== "/" && g !== gid && parentPath(g) === gid).sort().map(build),
    pods: [...ctx.core.pods.values()].filter(isPodSpec).filter((p) => parentPath(p.id) === gid).map(podOf),
    dependencies: [],
    version: new Date(ctx.core.now()).toISOString(),
  });
  return build(id);
}

async function groupSub(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, rest: string, url: URL): Promise<void> {
  let path = "/" + rest.replace(/^\/+|\/+$/g, "");
  if (path.endsWith("/versions") && req.method === "GET") return sendJson(res, 200, []);
  const problem = pathIdProblem(path);
  if (problem) throw new InvalidObject([{ path: "/id", errors: [problem] }]);
  path = resolvePathId(path);
  if (req.method === "GET") return sendJson(res, 200, groupView(ctx, path, url));
  if (req.method === "DELETE") {
    if (!ctx.groupIds().has(path)) throw notFound(`Group '${path}' does not exist`);
    const target = new Map([...ctx.core.apps].filter(([id]) => !isUnder(id, path)));
    const pods = new Map([...ctx.core.pods].filter(([id]) => !isUnder(id, path)));
    return sendDeployment(res, 200, await ctx.core.deploy({ target, pods, force: flag(url, "force") }));
  }
  return putGroup(ctx, req, res, path, url, req.method === "POST");
}

async function putGroup(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, base: string, url: URL, create: boolean): Promise<void> {
  const body = await readBody(req);
  const parsed = parseGroupUpdate(body, create ? base : parentPath(base) === base ? base : base);
  if (!parsed.ok) throw new InvalidObject(parsed.details);
  const group = parsed.group;
  if (!create && group.id !== base && (body as { id?: unknown }).id === undefined) group.id = base;
  const target = new Map(ctx.core.apps);
  if (group.scaleBy !== undefined) {
    for (const [id, app] of target) if (isUnder(id, group.id)) target.set(id, { ...app, instances: Math.round(app.instances * group.scaleBy) });
  }
  const apps = appsOfGroup(group);
  if (group.apps !== undefined || group.groups !== undefined) {
    // The body describes the group's content: apps under it that it does not list are removed.
    for (const id of [...target.keys()]) if (isUnder(id, group.id) && !apps.some((a) => a.id === id)) target.delete(id);
  }
  for (const app of apps) target.set(app.id, app);
  if (flag(url, "dryRun")) return sendJson(res, 200, { steps: [] });
  const result = await ctx.core.deploy({ target, force: flag(url, "force") });
  sendDeployment(res, create ? 201 : 200, result);
}
