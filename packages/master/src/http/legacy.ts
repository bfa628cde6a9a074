/** Legacy JSON GET endpoints (`/master/state` and friends, mesos-core.md §4.3), with `.json` aliases and JSONP. */
import { once } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { CaravelError } from "@caravel/api";
import { sendText, type Router } from "@caravel/runtime";
import type { MasterContext } from "../core/context.js";
import { MASTER_VERSION } from "../core/context.js";
import { maintenanceStatus } from "../core/maintenance.js";
import type { TaskRecord } from "../state/types.js";
import { legacyAgent, legacyFrameworkHead, legacyTask, stateSummary, writeState } from "../views/legacy.js";
import { redirectToLeader, type Leadership } from "../leadership.js";
import { sendJsonp } from "./common.js";
import type { OperatorDeps } from "./operator.js";

/** Registers `path` under `/master` and at the root, each with a `.json` alias. */
function both(router: Router, path: string, handler: (req: IncomingMessage, res: ServerResponse, url: URL) => unknown): void {
  for (const p of [`/master${path}`, path, `/master${path}.json`, `${path}.json`]) router.on("GET", p, (req, res, _params, url) => handler(req, res, url));
}

export function registerLegacyRoutes(router: Router, ctx: MasterContext, deps: OperatorDeps, leadership: Leadership): void {
  both(router, "/state", async (_req, res, url) => {
    const callback = url.searchParams.get("jsonp");
    if (callback && !/^[A-Za-z_$][\w$.]*$/.test(callback)) return sendText(res, 400, "'jsonp' must be a JavaScript identifier");
    res.writeHead(200, { "content-type": callback ? "text/javascript" : "application/json" });
    const sink = (chunk: string) => (res.write(chunk) ? undefined : once(res, "drain").then(() => undefined));
    try {
      if (callback) await sink(`${callback}(`);
      await writeState(ctx, deps.flags(), sink);
      if (callback) await sink(");");
      res.end();
    } catch (error) {
      ctx.log.error({ err: error }, "failed to stream /master/state");
      res.destroy();
    }
  });
  both(router, "/state-summary", (_req, res, url) => sendJsonp(res, url, JSON.stringify(stateSummary(ctx))));
  both(router, "/slaves", (_req, res, url) => {
    const id = url.searchParams.get("slave_id");
    const slaves = [...ctx.agents.values()].filter((a) => (a.state === "REGISTERED" || a.state === "DISCONNECTED") && (!id || a.id === id)).map((a) => legacyAgent(ctx, a));
    const recovered = [...ctx.recoveredAgents.entries()].map(([rid, a]) => ({ id: rid, hostname: a.hostname, port: a.port }));
    sendJsonp(res, url, JSON.stringify({ slaves, recovered_slaves: recovered }));
  });
  both(router, "/frameworks", (_req, res, url) => {
    const id = url.searchParams.get("framework_id");
    const full = (fw: Parameters<typeof legacyFrameworkHead>[0]) => ({
      ...legacyFrameworkHead(fw),
      tasks: [...fw.tasks.values()].map(legacyTask),
      unreachable_tasks: [...fw.unreachableTasks.values()].map(legacyTask),
      completed_tasks: fw.completedTasks.map(legacyTask),
    });
    sendJsonp(res, url, JSON.stringify({
      frameworks: [...ctx.frameworks.values()].filter((f) => !id || f.id === id).map(full),
      completed_frameworks: ctx.completedFrameworks.filter((f) => !id || f.id === id).map(full),
      unregistered_frameworks: [],
    }));
  });
  both(router, "/tasks", (_req, res, url) => sendJsonp(res, url, JSON.stringify({ tasks: listTasks(ctx, url).map(legacyTask) })));
  both(router, "/roles", (_req, res, url) => sendJsonp(res, url, JSON.stringify({ roles: deps.roles() })));
  both(router, "/flags", (_req, res, url) => sendJsonp(res, url, JSON.stringify({ flags: deps.flags() })));
  both(router, "/version", (_req, res, url) => sendJsonp(res, url, JSON.stringify({ version: MASTER_VERSION, build_user: "caravel", build_date: "", build_time: 0 })));
  both(router, "/maintenance/schedule", (_req, res, url) => sendJsonp(res, url, JSON.stringify(deps.maintenance.schedule)));
  both(router, "/maintenance/status", (_req, res, url) => sendJsonp(res, url, JSON.stringify(maintenanceStatus(ctx, deps.maintenance)["status"])));
  both(router, "/weights", (_req, res, url) => sendJsonp(res, url, JSON.stringify([...deps.maintenance.weights].map(([role, weight]) => ({ role, weight })))));
  both(router, "/quota", (_req, res, url) => sendJsonp(res, url, JSON.stringify({ infos: [...deps.maintenance.quotas.values()] })));
  for (const p of ["/master/health", "/health"]) router.on("GET", p, (_req, res) => {
    res.writeHead(200, { "content-length": 0 });
    res.end();
  });
  // Always 307 to the leader, even on the leader itself (as Mesos).
  for (const p of ["/master/redirect", "/redirect"]) router.on("GET", p, (_req, res) => redirectToLeader(res, leadership, ""));
  for (const p of ["/metrics/snapshot", "/metrics/snapshot.json"]) router.on("GET", p, (_req, res, _params, url) => sendJsonp(res, url, JSON.stringify(deps.metrics())));
}

/** `/master/tasks`: all frameworks' tasks by latest status time; `limit` (100), `offset`, `order` (desc). */
function listTasks(ctx: MasterContext, url: URL): TaskRecord[] {
  const limit = Number(url.searchParams.get("limit") ?? 100);
  const offset = Number(url.searchParams.get("offset") ?? 0);
  const order = url.searchParams.get("order") ?? "desc";
  if (!Number.isInteger(limit) || limit < 0) throw new CaravelError("INVALID_REQUEST", "'limit' must be a non-negative integer", { path: "limit" });
  if (!Number.isInteger(offset) || offset < 0) throw new CaravelError("INVALID_REQUEST", "'offset' must be a non-negative integer", { path: "offset" });
  if (order !== "asc" && order !== "desc") throw new CaravelError("INVALID_REQUEST", "'order' must be asc or desc", { path: "order" });
  const frameworkId = url.searchParams.get("framework_id");
  const taskId = url.searchParams.get("task_id");
  const all: TaskRecord[] = [];
  for (const fw of [...ctx.frameworks.values(), ...ctx.completedFrameworks]) {
    if (frameworkId && fw.id !== frameworkId) continue;
    for (const t of [...fw.tasks.values(), ...fw.unreachableTasks.values(), ...fw.completedTasks]) if (!taskId || t.info.task_id.value === taskId) all.push(t);
  }
  const time = (t: TaskRecord) => t.statuses.at(-1)?.timestamp ?? 0;
  all.sort((a, b) => (order === "asc" ? time(a) - time(b) : time(b) - time(a)));
  return all.slice(offset, offset + limit);
}

