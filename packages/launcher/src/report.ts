/** What `up` and `status` print. Pure: state (and live probes) in, text out. */
import type { Probe } from "./health.js";
import { formatTable } from "./table.js";
import type { LauncherState } from "./state.js";

/** The endpoint table `up` prints once the cluster is healthy, plus contributed lines. */
export function endpointsText(state: LauncherState): string {
  const rows = [["COMPONENT", "ENDPOINT", "PID", "STATUS"]];
  for (const c of state.components) rows.push([c.name, c.url, c.pid ? String(c.pid) : "-", c.status]);
  const lines = [formatTable(rows)];
  if (state.skipped.length) lines.push("", `not started: ${state.skipped.map((s) => `${s.name} (${s.reason})`).join(", ")}`);
  if (state.printLines.length) lines.push("", ...state.printLines);
  lines.push("", `logs: ${state.home}/local/logs/   stop: caravel-launch down --home ${state.home}`);
  return lines.join("\n");
}

/** `status`: supervisor and, per component, pid, port, live health and restarts. */
export function statusText(state: LauncherState, supervisorAlive: boolean, probes: readonly Probe[], alive: readonly boolean[]): string {
  const head = supervisorAlive
    ? `caravel-launch supervisor pid ${state.pid} (${state.phase}, since ${state.startedAt}), home ${state.home}`
    : `no caravel-launch supervisor is running under ${state.home} (last: ${state.phase})`;
  const rows = [["COMPONENT", "PID", "PORT", "HEALTH", "RESTARTS", "LOG"]];
  state.components.forEach((c, i) => {
    const pid = c.pid && alive[i] ? String(c.pid) : "-";
    const health = probes[i]?.healthy ? "healthy" : `unhealthy (${probes[i]?.detail ?? "not probed"})`;
    rows.push([c.name, pid, String(c.port), health, String(c.restarts), c.log]);
  });
  return `${head}\n${formatTable(rows)}`;
}
