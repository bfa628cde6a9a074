/**
 * `/service/<name>` resolution as Admin Router does it, in pure functions over snapshots:
 * 1. root Marathon apps labelled DCOS_SERVICE_NAME (+ DCOS_SERVICE_SCHEME, DCOS_SERVICE_PORT_INDEX),
 *    one running task; 2. Mesos frameworks by id, then name, using webui_url ("" falls through,
 *    null stops); 3. Mesos-DNS SRV `_<name>._tcp.marathon.mesos`.
 */
type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

export interface ServiceTarget {
  origin: string;
  /** Proxy with the /service/<name> prefix stripped (the default), or keep the full path. */
  rewrite: boolean;
  via: "marathon" | "framework" | "dns";
}

function label(app: Json, key: string): string | undefined {
  const labels = isObject(app["labels"]) ? app["labels"] : {};
  const v = labels[key];
  return typeof v === "string" ? v : typeof v === "boolean" ? String(v) : undefined;
}

/** Step 1: from `GET /v2/apps?embed=apps.tasks` — undefined when no app names the service. */
export function serviceFromApps(apps: unknown, name: string): ServiceTarget | undefined {
  if (name === "marathon" || name === "metronome") return undefined;
  const list = isObject(apps) && Array.isArray(apps["apps"]) ? apps["apps"] : [];
  for (const app of list) {
    if (!isObject(app) || label(app, "DCOS_SERVICE_NAME") !== name) continue;
    const scheme = label(app, "DCOS_SERVICE_SCHEME");
    const index = Number(label(app, "DCOS_SERVICE_PORT_INDEX"));
    if (!scheme || !Number.isInteger(index) || index < 0) continue;
    const tasks = Array.isArray(app["tasks"]) ? (app["tasks"].filter((t) => isObject(t) && (t["state"] === undefined || t["state"] === "TASK_RUNNING")) as Json[]) : [];
    // Prefer a task whose health checks all pass (Admin Router took any running one).
    const healthy = (t: Json) => !Array.isArray(t["healthCheckResults"]) || t["healthCheckResults"].every((h) => isObject(h) && h["alive"] === true);
    const task = tasks.find(healthy) ?? tasks[0];
    if (!task) continue;
    const networks = isObject(app["networks"]) || Array.isArray(app["networks"]) ? (app["networks"] as Json[]) : [];
    const containerNet = Array.isArray(networks) && networks.some((n) => isObject(n) && n["mode"] === "container");
    let host: string | undefined;
    let port: number | undefined;
    if (containerNet) {
      const ips = Array.isArray(task["ipAddresses"]) ? task["ipAddresses"] : [];
      host = isObject(ips[0]) ? String(ips[0]["ipAddress"]) : undefined;
      const container = isObject(app["container"]) ? app["container"] : {};
      const mappings = Array.isArray(container["portMappings"]) ? container["portMappings"] : [];
      const mapping = mappings[index];
      port = isObject(mapping) && Number(mapping["containerPort"]) > 0 ? Number(mapping["containerPort"]) : undefined;
      if (port === undefined) port = Array.isArray(task["ports"]) ? Number(task["ports"][index]) : undefined;
    } else {
      host = typeof task["host"] === "string" ? task["host"] : undefined;
      port = Array.isArray(task["ports"]) ? Number(task["ports"][index]) : undefined;
    }
    if (!host || !port) continue;
    const rewrite = label(app, "DCOS_SERVICE_REWRITE_REQUEST_URLS") !== "false";
    return { origin: `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}`, rewrite, via: "marathon" };
  }
  return undefined;
}

/** Step 2: from master state-summary frameworks. `null` means "stop: the service exists, no UI". */
export function serviceFromFrameworks(summary: unknown, name: string): ServiceTarget | null | undefined {
  const frameworks = isObject(summary) && Array.isArray(summary["frameworks"]) ? (summary["frameworks"].filter(isObject) as Json[]) : [];
  const match = frameworks.find((f) => f["id"] === name) ?? frameworks.find((f) => f["name"] === name);
  if (!match) return undefined;
  const url = match["webui_url"];
  if (url === null || url === undefined) return null;
  if (url === "") return undefined;
  try {
    const parsed = new URL(String(url));
    return { origin: parsed.origin, rewrite: true, via: "framework" };
  } catch {
    return undefined;
  }
}

/** Step 3: from Mesos-DNS `GET /v1/services/_<name>._tcp.marathon.mesos` (a miss is one empty record). */
export function serviceFromSrv(records: unknown): ServiceTarget | undefined {
  const list = Array.isArray(records) ? records : [];
  for (const r of list) {
    if (!isObject(r)) continue;
    const host = String(r["ip"] || r["host"] || "");
    const port = Number(r["port"]);
    if (host && port > 0) return { origin: `http://${host}:${port}`, rewrite: true, via: "dns" };
  }
  return undefined;
}

/** The agent's base URL from master state (`pid: slave(1)@10.0.0.1:5051`, else hostname + port). */
export function agentOrigin(agent: unknown): string | undefined {
  if (!isObject(agent)) return undefined;
  const m = typeof agent["pid"] === "string" ? /@([^:]+):(\d+)$/.exec(agent["pid"]) : null;
  if (m) return `http://${m[1]}:${m[2]}`;
  if (typeof agent["hostname"] === "string" && agent["port"] !== undefined) return `http://${agent["hostname"]}:${String(agent["port"])}`;
  return undefined;
}
