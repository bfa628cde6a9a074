/**
 * One health check attempt: HTTP (status 200–399 or the listed statuses), TCP (connect) or COMMAND
 * (exit 0, run inside the container through the containerizer), each bounded by `timeout_seconds`.
 */
import { connect } from "node:net";
import type { HealthCheck } from "@caravel/api";

export interface ProbeTarget {
  /** The task's address: its container IP, else the agent's. */
  host: string;
  exec: (timeoutMs: number) => Promise<{ exitCode: number; output: string }>;
  /** Set for simulated tasks: the health is decided by the sim containerizer, not by a probe. */
  simulated?: () => boolean;
}

export interface ProbeResult {
  ok: boolean;
  message?: string;
}

export async function probe(check: HealthCheck, target: ProbeTarget): Promise<ProbeResult> {
  if (target.simulated) return target.simulated() ? { ok: true } : { ok: false, message: "simulated health check failure" };
  const timeoutMs = Math.max(1, check.timeout_seconds * 1000);
  switch (check.type) {
    case "HTTP":
      return probeHttp(check, target.host, timeoutMs);
    case "TCP":
      return probeTcp(target.host, check.tcp?.port ?? 0, timeoutMs);
    case "COMMAND": {
      if (!check.command) return { ok: false, message: "COMMAND health check without a command" };
      try {
        const r = await target.exec(timeoutMs);
        return r.exitCode === 0 ? { ok: true } : { ok: false, message: `command exited with status ${r.exitCode}` };
      } catch (error) {
        return { ok: false, message: (error as Error).message };
      }
    }
    default:
      return { ok: false, message: `unsupported health check type ${check.type ?? "(unset)"}` };
  }
}

async function probeHttp(check: HealthCheck, host: string, timeoutMs: number): Promise<ProbeResult> {
  const http = check.http;
  if (!http) return { ok: false, message: "HTTP health check without http settings" };
  const scheme = http.scheme ?? "http";
  const path = http.path ?? "/";
  const url = `${scheme}://${host}:${http.port}${path.startsWith("/") ? path : `/${path}`}`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
    await response.body?.cancel();
    const ok = http.statuses.length ? http.statuses.includes(response.status) : response.status >= 200 && response.status < 400;
    return ok ? { ok } : { ok, message: `GET ${url} answered ${response.status}` };
  } catch (error) {
    return { ok: false, message: `GET ${url} failed: ${(error as Error).message}` };
  }
}

function probeTcp(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: ProbeResult) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done({ ok: false, message: `connect ${host}:${port} timed out` }), timeoutMs);
    socket.once("connect", () => done({ ok: true }));
    socket.once("error", (error) => done({ ok: false, message: `connect ${host}:${port}: ${error.message}` }));
  });
}
