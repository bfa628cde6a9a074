/**
 * HTTP helpers in Marathon's dialect: errors as `{message, details?}` (422 "Object is not valid" for
 * validation, 400 "Invalid JSON"), JSON bodies read with a size limit, and boolean query flags.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { CaravelError, isCaravelError, type ViolationDetail } from "@caravel/api";
import { readJson, sendJson, type Logger } from "@caravel/runtime";

/** A validation failure: answered 422 with Marathon's details. */
export class InvalidObject extends Error {
  constructor(readonly details: ViolationDetail[]) {
    super("Object is not valid");
    this.name = "InvalidObject";
  }
}

export function sendMarathonError(res: ServerResponse, error: unknown, log?: Logger): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof InvalidObject) {
    sendJson(res, 422, { message: "Object is not valid", details: error.details });
    return;
  }
  if (isCaravelError(error)) {
    if (error.code === "MALFORMED_JSON") {
      sendJson(res, 400, { message: "Invalid JSON", details: [{ path: "/", errors: [error.message] }] });
      return;
    }
    const extra = error.details && Array.isArray((error.details as { deployments?: unknown }).deployments) ? { deployments: (error.details as { deployments: unknown }).deployments } : {};
    sendJson(res, error.status, { message: error.message, ...(error.path ? { details: [{ path: error.path, errors: [error.message] }] } : {}), ...extra });
    return;
  }
  log?.error({ err: error }, "unhandled error");
  sendJson(res, 500, { message: "internal error; see the Marathon log" });
}

/** Reads a JSON body (1 MiB default, as apps and groups are small). */
export const readBody = (req: IncomingMessage, limit = 1024 * 1024): Promise<unknown> => readJson(req, limit);

/** `?force=true` style flags. */
export const flag = (url: URL, name: string, fallback = false): boolean => {
  const v = url.searchParams.get(name);
  return v === null ? fallback : v === "" || v === "true" || v === "1";
};

export const notFound = (what: string): CaravelError => new CaravelError("NOT_FOUND", what);

/** Answers a DeploymentResult with Marathon's header. */
export function sendDeployment(res: ServerResponse, status: number, result: { deploymentId: string; version: string }, extraHeaders: Record<string, string> = {}): void {
  sendJson(res, status, { deploymentId: result.deploymentId, version: result.version }, { "marathon-deployment-id": result.deploymentId, ...extraHeaders });
}

/** Marathon's label selector: `a`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x,y)`, comma-joined (AND). */
export function labelSelector(selector: string): (labels: Record<string, string>) => boolean {
  const terms = splitTerms(selector).map((term) => {
    const set = /^\s*([-\w.]+)\s+(in|notin)\s+\(([^)]*)\)\s*$/.exec(term);
    if (set) {
      const values = set[3]!.split(",").map((v) => v.trim());
      return (l: Record<string, string>) => (set[2] === "in") === (l[set[1]!] !== undefined && values.includes(l[set[1]!]!));
    }
    const eq = /^\s*([-\w.]+)\s*(==|!=)\s*([-\w.]*)\s*$/.exec(term);
    if (eq) return (l: Record<string, string>) => (eq[2] === "==" ? l[eq[1]!] === eq[3] : l[eq[1]!] !== eq[3]);
    const exists = /^\s*([-\w.]+)\s*$/.exec(term);
    if (exists) return (l: Record<string, string>) => l[exists[1]!] !== undefined;
    throw new CaravelError("INVALID_REQUEST", `label selector term '${term}' is invalid; use key, key==value, key!=value, key in (a,b) or key notin (a,b)`, { path: "label" });
  });
  return (labels) => terms.every((t) => t(labels));
}

function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const c of s) {
    if (c === "(") depth++;
    if (c === ")") depth--;
    if (c === "," && depth === 0) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  if (cur.trim()) out.push(cur);
  return out;
}
