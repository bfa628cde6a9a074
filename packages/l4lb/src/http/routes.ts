/** dcos-net's REST surface that the console and CLI read: `GET /v1/vips` (with an ETag), plus health and metrics. */
import { createHash } from "node:crypto";
import { toVipsResponse, type VipEntry } from "@caravel/api";
import { Router, sendJson, sendText, type MetricsRegistry } from "@caravel/runtime";

export interface L4lbHttpDeps {
  table(): readonly VipEntry[];
  plane(): string;
  metrics: MetricsRegistry;
  healthy(): boolean;
}

export function l4lbRouter(deps: L4lbHttpDeps): Router {
  return new Router()
    .on("GET", "/v1/vips", (req, res) => {
      const body = JSON.stringify(toVipsResponse(deps.table()));
      const etag = `"${createHash("sha1").update(body).digest("hex").slice(0, 16)}"`;
      if (req.headers["if-none-match"] === etag) return void res.writeHead(304, { etag }).end();
      sendJson(res, 200, body, { etag });
      return undefined;
    })
    .on("GET", "/v1/table", (_req, res) => sendJson(res, 200, { plane: deps.plane(), vips: deps.table() }))
    .on("GET", "/health", (_req, res) => (deps.healthy() ? sendText(res, 200, "OK") : sendText(res, 503, "no state from the master yet; check --master")))
    .on("GET", "/metrics", (_req, res) => sendText(res, 200, deps.metrics.prometheus("caravel_l4lb"), { "content-type": "text/plain; version=0.0.4" }))
    .on("GET", "/metrics/snapshot", (_req, res) => sendJson(res, 200, deps.metrics.snapshot()));
}
