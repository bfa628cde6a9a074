/** Legacy JSON GET endpoints (`/master/state` and friends, mesos-core.md §4.3), with `.json` aliases and JSONP. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { CaravelError } from "@caravel/api";
import type { Router } from "@caravel/runtime";
import type { MasterContext } from "../core/context.js";
import { MASTER_VERSION } from "../core/context.js";
import { maintenanceStatus } from "../core/maintenance.js";
import type { TaskRecord } from "../state/types.js";
import { ChunkWriter } from "../views/chunk-writer.js";
import { legacyTask } from "../views/legacy.js";
import { slavesJson, writeFrameworks, writeState, writeStateSummary } from "../views/legacy-stream.js";
import { taskPage } from "../views/task-page.js";
import { redirectToLeader, type Leadership } from "../leadership.js";
import { jsonpCallback, sendJsonp } from "./common.js";
import type { OperatorDeps } from "./operator.js";

/** Registers `path` under `/master` and at the root, each with a `.json` alias. */
function both(router: Router, path: string, handler: (req: IncomingMessage, res: ServerResponse, url: URL) => unknown): void {
  for (const p of [`/master${path}`, path, `/master${path}.json`, `${path}.json`]) router.on("GET", p, (req, res, _params, url) => handler(req, res, url));
}

export function registerLegacyRoutes(router: Router, ctx: MasterContext, deps: OperatorDeps, leadership: Leadership): void {
  both(router, "/state", (_req, res, url) => streamJsonp(ctx, res, url, (w) => writeState(ctx, deps.flags(), w)));
  both(router, "/state-summary", (_req, res, url) => streamJsonp(ctx, res, url, (w) => writeStateSummary(ctx, w)));
  both(router, "/slaves", async (_req, res, url) => sendJsonp(res, url, await slavesJson(ctx, url.searchParams.get("slave_id"))));
  both(router, "/frameworks", (_req, res, url) => streamJsonp(ctx, res, url, (w) => writeFrameworks(ctx, url.searchParams.get("framework_id"), w)));
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
  return taskPage(all, offset, limit, order);
}

/** Backpressure: at most this much may wait in the response's buffer before the writer waits. */
const MAX_QUEUED_BYTES = 4 << 20;

/** Resolves once the response has drained; rejects if the client goes away first. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      res.off("drain", done);
      res.off("close", gone);
      resolve();
    };
    const gone = (): void => {
      res.off("drain", done);
      res.off("close", gone);
      reject(new Error("the client closed the connection"));
    };
    res.on("drain", done);
    res.on("close", gone);
  });
}

/**
 * Streams a large JSON document (as JSONP with `?jsonp=`), written by `write` through a ChunkWriter
 * with backpressure: the body is never built as one string.
 */
async function streamJsonp(ctx: MasterContext, res: ServerResponse, url: URL, write: (w: ChunkWriter) => Promise<void>): Promise<void> {
  const callback = jsonpCallback(res, url);
  if (callback === undefined) return;
  res.writeHead(200, { "content-type": callback ? "text/javascript" : "application/json" });
  const w = new ChunkWriter((chunk, release) => {
    if (res.destroyed) throw new Error("the client closed the connection");
    if (res.write(chunk, release && (() => release())) || res.writableLength < MAX_QUEUED_BYTES) return;
    return drained(res);
  });
  try {
    if (callback) await w.text(`${callback}(`);
    await write(w);
    if (callback) await w.text(");");
    await w.end();
    res.end();
  } catch (error) {
    if (res.destroyed) ctx.log.debug({ path: url.pathname }, "client left during a streamed answer");
    else ctx.log.error({ err: error, path: url.pathname }, "failed to stream a legacy JSON answer");
    res.destroy();
  }
}
