/**
 * `/v2/pods`: create, list, read, replace (and so scale), delete pods; `::status`, `::versions` and
 * `::instances` (Marathon's literal `::` separators). Every change is a deployment of the core, the
 * same machinery apps use; pods live in the core as run specs (pods/run-spec.ts).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { CaravelError, parsePodDefinition, pathIdProblem, resolvePathId, type PodDefinition } from "@caravel/api";
import { Router, sendJson } from "@caravel/runtime";
import { isPodSpec, podOf, podRunSpec, type PodRunSpec } from "../pods/run-spec.js";
import { podInstanceView, podStatusView } from "../pods/views.js";
import { flag, InvalidObject, notFound, readBody } from "./common.js";
import type { ApiContext } from "./context.js";

export function podRoutes(router: Router, ctx: ApiContext): void {
  router.on("GET", "/v2/pods", (_q, res) => sendJson(res, 200, pods(ctx).map(podOf)));
  router.on("POST", "/v2/pods", (req, res, _p, url) => createPod(ctx, req, res, url));
  router.on(["GET", "PUT", "DELETE"], "/v2/pods/*rest", (req, res, p, url) => podSubresource(ctx, req, res, "/" + (p["rest"] ?? ""), url));
}

const pods = (ctx: ApiContext): PodRunSpec[] => [...ctx.core.pods.values()].filter(isPodSpec).sort((a, b) => a.id.localeCompare(b.id));

function podSpec(ctx: ApiContext, id: string): PodRunSpec {
  const spec = ctx.core.pods.get(id);
  if (!isPodSpec(spec)) throw notFound(`Pod '${id}' does not exist`);
  return spec;
}

function validateId(raw: string): string {
  const problem = pathIdProblem(raw);
  if (problem) throw new InvalidObject([{ path: "/id", errors: [problem] }]);
  return resolvePathId(raw);
}

const clientIp = (req: IncomingMessage): string => req.socket.remoteAddress ?? "";

/** Deploys the pods with `id` set to `pod` (or removed), apps unchanged. */
async function deployPod(ctx: ApiContext, id: string, pod: PodDefinition | undefined, force: boolean) {
  const target = new Map(ctx.core.pods);
  if (pod) target.set(id, podRunSpec(pod));
  else target.delete(id);
  return ctx.core.deploy({ target: new Map(ctx.core.apps), pods: target, force });
}

async function parseBody(req: IncomingMessage, id?: string): Promise<PodDefinition> {
  const body = await readBody(req);
  if (id !== undefined && typeof body === "object" && body !== null && !Array.isArray(body)) {
    const given = (body as { id?: unknown }).id;
    if (given !== undefined && typeof given === "string" && resolvePathId(given) !== id) {
      throw new InvalidObject([{ path: "/id", errors: [`the id in the body (${given}) differs from the one in the path (${id}); leave it out or make them equal`] }]);
    }
  }
  const parsed = parsePodDefinition(id !== undefined && typeof body === "object" && body !== null && !Array.isArray(body) ? { ...body, id } : body);
  if (!parsed.ok) throw new InvalidObject(parsed.details);
  return parsed.pod;
}

function conflictWithApp(ctx: ApiContext, id: string): void {
  if (ctx.core.apps.has(id)) throw new CaravelError("CONFLICT", `An app with id [${id}] already exists; pods and apps share one namespace.`);
  if (ctx.groupIds().has(id)) throw new CaravelError("CONFLICT", `A group with id [${id}] already exists; choose another pod id.`);
}

async function createPod(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const pod = await parseBody(req);
  if (ctx.core.pods.has(pod.id)) throw new CaravelError("CONFLICT", `A pod with id [${pod.id}] already exists.`);
  conflictWithApp(ctx, pod.id);
  const result = await deployPod(ctx, pod.id, pod, flag(url, "force"));
  ctx.events.emit("pod_created_event", { clientIp: clientIp(req), uri: `/v2/pods${pod.id}` });
  sendJson(res, 201, podOf(podSpec(ctx, pod.id)), { location: `/v2/pods${pod.id}`, "marathon-deployment-id": result.deploymentId });
}

async function podSubresource(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<void> {
  const [rawId = "", sub] = splitSub(path);
  if (req.method === "GET" && rawId.replace(/\/+$/, "") === "" && sub === "status") {
    return sendJson(res, 200, pods(ctx).map((s) => podStatusView(s, ctx.core.instancesOf(s.id))));
  }
  const id = validateId(rawId.replace(/\/+$/, ""));
  if (sub === undefined) {
    if (req.method === "GET") return sendJson(res, 200, podOf(podSpec(ctx, id)));
    if (req.method === "PUT") return putPod(ctx, req, res, id, url);
    podSpec(ctx, id);
    const result = await deployPod(ctx, id, undefined, flag(url, "force"));
    ctx.events.emit("pod_deleted_event", { clientIp: clientIp(req), uri: `/v2/pods${id}` });
    res.writeHead(202, { "marathon-deployment-id": result.deploymentId, "content-type": "application/json" });
    res.end(JSON.stringify({ deploymentId: result.deploymentId, version: result.version }));
    return;
  }
  if (sub === "status" && req.method === "GET") return sendJson(res, 200, podStatusView(podSpec(ctx, id), ctx.core.instancesOf(id)));
  if (sub === "versions" && req.method === "GET") {
    podSpec(ctx, id);
    return sendJson(res, 200, (await ctx.repo.versions(id)).reverse());
  }
  let m: RegExpExecArray | null;
  if ((m = /^versions\/(.+)$/.exec(sub)) && req.method === "GET") {
    const stored = await ctx.repo.appVersion(id, decodeURIComponent(m[1]!));
    if (!isPodSpec(stored)) throw notFound(`Pod '${id}' has no version ${m[1]}`);
    return sendJson(res, 200, podOf(stored));
  }
  if ((m = /^instances(?:\/(.+))?$/.exec(sub)) && req.method === "DELETE") {
    const spec = podSpec(ctx, id);
    const ids = m[1] !== undefined ? [decodeURIComponent(m[1])] : await instanceIdsOfBody(req);
    const instances = ctx.core.instancesOf(id);
    const unknown = ids.filter((x) => !instances.some((i) => i.instanceId === x));
    if (unknown.length) throw notFound(`Pod '${id}' has no instance(s) ${unknown.join(", ")}`);
    const victims = instances.filter((i) => ids.includes(i.instanceId));
    // Marathon kills and replaces them (the pod keeps its size); wipe=true would also forget reservations.
    for (const v of victims) ctx.core.killInstance(v, flag(url, "wipe") ? "decommissioned" : "stopped");
    ctx.core.tick();
    const views = victims.map((v) => podInstanceView(podOf(spec), v));
    return sendJson(res, 200, m[1] !== undefined ? views[0] : views);
  }
  throw notFound(`no such endpoint: ${req.method} /v2/pods${path}`);
}

async function putPod(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, id: string, url: URL): Promise<void> {
  const pod = await parseBody(req, id);
  const created = !ctx.core.pods.has(id);
  if (created) conflictWithApp(ctx, id);
  const result = await deployPod(ctx, id, pod, flag(url, "force"));
  ctx.events.emit(created ? "pod_created_event" : "pod_updated_event", { clientIp: clientIp(req), uri: `/v2/pods${id}` });
  sendJson(res, created ? 201 : 200, podOf(podSpec(ctx, id)), { "marathon-deployment-id": result.deploymentId, ...(created ? { location: `/v2/pods${id}` } : {}) });
}

async function instanceIdsOfBody(req: IncomingMessage): Promise<string[]> {
  const body = await readBody(req);
  if (!Array.isArray(body) || body.some((x) => typeof x !== "string")) throw new InvalidObject([{ path: "/", errors: ["expected a JSON array of instance ids"] }]);
  return body as string[];
}

/** `/a/b::status` → ["/a/b", "status"]; `/a/b` → ["/a/b", undefined]. */
function splitSub(path: string): [string, string | undefined] {
  const at = path.indexOf("::");
  return at < 0 ? [path, undefined] : [path.slice(0, at), path.slice(at + 2)];
}
