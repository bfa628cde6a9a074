/**
 * Endpoints the router answers itself: /health, /metrics, DC/OS metadata, the pkgpanda build-info
 * probe the CLI uses to detect auth, /system/health/v1 (each component's health) and a placeholder
 * console page.
 */
import type { ServerResponse } from "node:http";
import { request } from "undici";
import { sendJson, type MetricsRegistry } from "@caravel/runtime";
import type { UpstreamConfig } from "./routing/upstreams.js";

export const VERSION = "0.1.0";

export function versionJson(): Record<string, string> {
  return { version: VERSION, "dcos-image-commit": "caravel", "bootstrap-id": "caravel", "dcos-variant": "open" };
}

/** Asks each component for its health, in parallel, 2 s each. Health 0 is healthy (DC/OS' convention). */
export async function systemHealth(config: UpstreamConfig, leader: () => Promise<string>): Promise<unknown> {
  const checks: { id: string; name: string; url: () => Promise<string | undefined> }[] = [
    { id: "caravel-master", name: "Mesos master", url: async () => `${await leader()}/health` },
    { id: "caravel-marathon", name: "Marathon", url: async () => config.marathon && `${new URL(config.marathon).origin}/ping` },
    { id: "caravel-dns", name: "DNS", url: async () => config.dns && `${new URL(config.dns).origin}/v1/version` },
    { id: "caravel-universe", name: "Package catalog", url: async () => config.universe && `${new URL(config.universe).origin}/health` },
  ];
  const units = await Promise.all(
    checks.map(async (c) => {
      let url: string | undefined;
      try {
        url = await c.url();
        if (!url) return { id: c.id, name: c.name, health: 3, description: "not configured" };
        const res = await request(url, { headersTimeout: 2_000, bodyTimeout: 2_000, headers: config.headers ?? {} });
        await res.body.dump();
        return { id: c.id, name: c.name, health: res.statusCode < 300 ? 0 : 1, url, description: `HTTP ${res.statusCode}` };
      } catch (error) {
        return { id: c.id, name: c.name, health: 1, ...(url ? { url } : {}), description: (error as Error).message };
      }
    }),
  );
  return { units: [{ id: "caravel-admin-router", name: "Admin Router", health: 0, description: "serving" }, ...units] };
}

export function sendMetrics(res: ServerResponse, metrics: MetricsRegistry): void {
  const text = metrics.prometheus();
  res.writeHead(200, { "content-type": "text/plain; version=0.0.4", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export function sendPlaceholder(res: ServerResponse, path: string): void {
  const bare = path.split("?")[0];
  if (bare !== "/" && bare !== "/login") return sendJson(res, 404, { code: "NOT_FOUND", message: `no console is configured, so there is nothing at ${path.split("?")[0]}; start the router with --console` });
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>Caravel</title></head><body><h1>Caravel</h1><p>The web console is not running. The API is here: log in with <code>POST /acs/api/v1/auth/login</code>, then use <code>/mesos/</code>, <code>/marathon/</code>, <code>/service/&lt;name&gt;/</code>.</p></body></html>`;
  res.writeHead(200, { "content-type": "text/html; charset=utf-8", "content-length": Buffer.byteLength(html) });
  res.end(html);
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** DC/OS' 401 page for browsers: it sends them to the login screen, then back. */
export function sendLoginRedirect(res: ServerResponse, message: string, headers: Record<string, string>): void {
  const html = `<html><head><title>401 Unauthorized</title></head><body><p>${escapeHtml(message)}</p><script>window.location = "/login?redirect=" + encodeURIComponent(window.location.pathname);</script></body></html>`;
  res.writeHead(401, { ...headers, "content-type": "text/html; charset=utf-8", "content-length": Buffer.byteLength(html) });
  res.end(html);
}
