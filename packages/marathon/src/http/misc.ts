/** `/v2/info`, `/v2/leader`, `/ping`, `/metrics`, `/health` and `/v2/events` (SSE); pods are in pods.ts. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { CaravelError, sseFrame } from "@caravel/api";
import { Router, sendJson, sendText } from "@caravel/runtime";
import type { ApiContext } from "./context.js";

export function miscRoutes(router: Router, ctx: ApiContext): void {
  router.on("GET", "/ping", (_q, res) => sendText(res, 200, "pong"));
  router.on("GET", "/health", (_q, res) => sendJson(res, 200, { healthy: true }));
  router.on("GET", "/v2/info", (_q, res) => sendJson(res, 200, ctx.info()));
  router.on("GET", "/v2/leader", (_q, res) => sendJson(res, 200, { leader: ctx.leader() }));
  router.on("DELETE", "/v2/leader", (_q, res) => sendJson(res, 200, { message: "Leadership abdicated" }));
  router.on("GET", "/metrics", (_q, res, _p, url) => {
    if (url.searchParams.get("format") === "json") return sendJson(res, 200, ctx.metrics.snapshot());
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    res.end(ctx.metrics.prometheus("marathon"));
    return undefined;
  });
  router.on("GET", "/metrics/prometheus", (_q, res) => {
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    res.end(ctx.metrics.prometheus("marathon"));
  });
  router.on("GET", "/v2/events", (req, res, _p, url) => events(ctx, req, res, url));
  router.on("GET", "/v2/plugins", (_q, res) => sendJson(res, 200, { plugins: [] }));
}

/** Server-sent events: 405 unless the client accepts text/event-stream; `event_type` filters. */
function events(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, url: URL): void {
  if (!(req.headers.accept ?? "").includes("text/event-stream")) {
    throw new CaravelError("METHOD_NOT_ALLOWED", "the event stream needs the header 'Accept: text/event-stream'");
  }
  const types = url.searchParams.getAll("event_type").flatMap((t) => t.split(",")).filter(Boolean);
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  res.flushHeaders();
  const attached = { remoteAddress: req.socket.remoteAddress ?? "", eventType: "event_stream_attached" as const, timestamp: new Date().toISOString() };
  if (types.length === 0 || types.includes("event_stream_attached")) res.write(sseFrame(attached));
  const unsubscribe = ctx.events.subscribe((event) => {
    if (res.writableLength > 4 * 1024 * 1024) {
      res.destroy();
      return;
    }
    res.write(sseFrame(event));
  }, types);
  const keepAlive = setInterval(() => res.write(":\n\n"), 15_000);
  const close = () => {
    clearInterval(keepAlive);
    unsubscribe();
  };
  res.on("close", close);
  req.on("close", close);
}
