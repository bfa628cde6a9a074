/**
 * The cluster view that service discovery (caravel-dns) and the load balancer (caravel-l4lb) build
 * from the master: agents, frameworks and tasks reduced to the fields names and VIPs are made from.
 * Two inputs produce it: the legacy `/master/state` JSON (full resync) and the operator API's
 * GET_STATE payload (the SUBSCRIBED snapshot); `applyOperatorEvent` keeps it current from the
 * SUBSCRIBE stream. Everything here is pure; inputs are read leniently (unknown or missing fields
 * never throw) because the view must survive any master version.
 */

/** An agent: its id, hostname and the IP/port taken from its libprocess pid (`slave(1)@ip:port`). */
export interface AgentView {
  readonly id: string;
  readonly hostname: string;
  readonly ip: string;
  readonly port: number;
}

/** A framework: name and where its scheduler runs (for `<fw>.mesos` and `_framework._tcp`). */
export interface FrameworkView {
  readonly id: string;
  readonly name: string;
  readonly hostname: string;
  readonly ip: string | undefined;
  readonly port: number | undefined;
}

export interface LabelView {
  readonly key: string;
  readonly value: string;
}

/** A DiscoveryInfo port. */
export interface DiscoveryPortView {
  readonly number: number;
  readonly name: string | undefined;
  readonly protocol: string | undefined;
  readonly labels: readonly LabelView[];
}

export interface PortMappingView {
  readonly hostPort: number;
  readonly containerPort: number;
  readonly protocol: string | undefined;
}

/** A task, with what its latest statuses say about addresses and health. */
export interface TaskView {
  readonly id: string;
  readonly name: string;
  readonly frameworkId: string;
  readonly agentId: string;
  readonly state: string;
  /** Host ports of the task's `ports` resources, in order. */
  readonly hostPorts: readonly number[];
  readonly discovery: { readonly name: string | undefined; readonly ports: readonly DiscoveryPortView[] } | undefined;
  readonly labels: readonly LabelView[];
  /** Container IPs from the latest TASK_RUNNING status's NetworkInfos (Mesos-DNS's `netinfo` source). */
  readonly netinfoIps: readonly string[];
  /** Legacy status labels `Docker.NetworkSettings.IPAddress` / `MesosContainerizer.NetworkSettings.IPAddress`. */
  readonly dockerIp: string | undefined;
  readonly mesosIp: string | undefined;
  readonly portMappings: readonly PortMappingView[];
  /** Health from the latest status; undefined when the task has no health check. */
  readonly healthy: boolean | undefined;
  /** True when the task joined a named container network (its own IP), false for host/bridge. */
  readonly containerNetwork: boolean;
}

export interface MasterView {
  readonly ip: string;
  readonly port: number;
  readonly hostname: string;
}

export interface ClusterView {
  readonly leader: MasterView | undefined;
  readonly agents: ReadonlyMap<string, AgentView>;
  readonly frameworks: ReadonlyMap<string, FrameworkView>;
  readonly tasks: ReadonlyMap<string, TaskView>;
}

export const emptyClusterView = (): ClusterView => ({ leader: undefined, agents: new Map(), frameworks: new Map(), tasks: new Map() });

type Json = Record<string, unknown>;
/** Lenient readers of untyped JSON. */
export const obj = (v: unknown): Json => (v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown): string => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");
export const idOf = (v: unknown): string => (typeof v === "string" ? v : str(obj(v)["value"]));
export const numOr = (v: unknown): number | undefined => {
  const n = typeof v === "string" ? Number(v) : v;
  return typeof n === "number" && Number.isFinite(n) ? n : undefined;
};

/** Splits a libprocess pid `name@ip:port` into ip and port. */
export function parsePid(pid: string): { ip: string; port: number } | undefined {
  const m = /@(.+):(\d+)$/.exec(pid);
  return m ? { ip: m[1]!.replace(/^\[|\]$/g, ""), port: Number(m[2]) } : undefined;
}

/** Parses the legacy ranges text `"[31000-31001, 31005-31005]"` into the listed ports. */
export function parsePortRanges(text: string, cap = 1024): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(/(\d+)\s*-\s*(\d+)/g)) {
    for (let p = Number(m[1]); p <= Number(m[2]) && out.length < cap; p++) out.push(p);
  }
  return out;
}

export const labelsOf = (v: unknown): LabelView[] => {
  const list = Array.isArray(v) ? v : arr(obj(v)["labels"]);
  return list.map((l) => ({ key: str(obj(l)["key"]), value: str(obj(l)["value"]) })).filter((l) => l.key !== "");
};

export const isIp = (s: string): boolean => /^\d{1,3}(\.\d{1,3}){3}$/.test(s) || (s.includes(":") && /^[0-9a-fA-F:.]+$/.test(s));

function hostPortsOf(resources: unknown): number[] {
  if (Array.isArray(resources)) {
    const out: number[] = [];
    for (const r of resources) {
      if (str(obj(r)["name"]) !== "ports") continue;
      for (const range of arr(obj(obj(r)["ranges"])["range"])) {
        const b = numOr(obj(range)["begin"]);
        const e = numOr(obj(range)["end"]);
        if (b === undefined || e === undefined) continue;
        for (let p = b; p <= e && out.length < 1024; p++) out.push(p);
      }
    }
    return out;
  }
  return parsePortRanges(str(obj(resources)["ports"]));
}

/** Builds a TaskView from either the legacy task JSON or a v1 Task. */
export function taskViewOf(raw: unknown): TaskView | undefined {
  const t = obj(raw);
  const id = idOf(t["id"] ?? t["task_id"]);
  if (!id) return undefined;
  const statuses = arr(t["statuses"]).map(obj);
  const running = statuses.filter((s) => s["state"] === "TASK_RUNNING");
  const latestRunning = running.reduce<Json | undefined>(
    (best, s) => (!best || (numOr(s["timestamp"]) ?? 0) >= (numOr(best["timestamp"]) ?? 0) ? s : best),
    undefined,
  );
  const latest = statuses.at(-1);
  const netinfos = arr(obj(latestRunning?.["container_status"])["network_infos"]).map(obj);
  const netinfoIps = netinfos.flatMap((n) => arr(n["ip_addresses"]).map((a) => str(obj(a)["ip_address"]))).filter(isIp);
  const statusLabels = labelsOf(latestRunning?.["labels"]);
  const container = obj(t["container"]);
  const docker = obj(container["docker"]);
  const mappings = [...arr(docker["port_mappings"]), ...arr(container["network_infos"]).flatMap((n) => arr(obj(n)["port_mappings"]))]
    .map(obj)
    .map((m) => ({ hostPort: numOr(m["host_port"]) ?? 0, containerPort: numOr(m["container_port"]) ?? 0, protocol: str(m["protocol"]) || undefined }))
    .filter((m) => m.containerPort > 0);
  const containerNetwork =
    docker["network"] === "USER" || arr(container["network_infos"]).some((n) => str(obj(n)["name"]) !== "" && str(obj(n)["name"]) !== "host");
  const disc = t["discovery"] === undefined ? undefined : obj(t["discovery"]);
  const statusHealthy = [...statuses].reverse().find((s) => typeof s["healthy"] === "boolean")?.["healthy"];
  return {
    id,
    name: str(t["name"]),
    frameworkId: idOf(t["framework_id"]),
    agentId: idOf(t["slave_id"] ?? t["agent_id"]),
    state: str(t["state"]) || str(latest?.["state"]),
    hostPorts: hostPortsOf(t["resources"]),
    discovery: disc && {
      name: str(disc["name"]) || undefined,
      ports: arr(obj(disc["ports"])["ports"]).map(obj).flatMap((p) => {
        const number = numOr(p["number"]);
        return number === undefined ? [] : [{ number, name: str(p["name"]) || undefined, protocol: str(p["protocol"]) || undefined, labels: labelsOf(p["labels"]) }];
      }),
    },
    labels: labelsOf(t["labels"]),
    netinfoIps,
    dockerIp: statusLabels.find((l) => l.key === "Docker.NetworkSettings.IPAddress")?.value || undefined,
    mesosIp: statusLabels.find((l) => l.key === "MesosContainerizer.NetworkSettings.IPAddress")?.value || undefined,
    portMappings: mappings,
    healthy: typeof statusHealthy === "boolean" ? statusHealthy : undefined,
    containerNetwork,
  };
}

/** Builds an AgentView from a legacy `slaves[]` entry or a v1 `GetAgents.Agent`. */
export function agentViewOf(raw: unknown): AgentView | undefined {
  const a = obj(raw);
  const info = obj(a["agent_info"]);
  const id = idOf(a["id"] ?? info["id"]);
  if (!id) return undefined;
  const hostname = str(a["hostname"] ?? info["hostname"]);
  const pid = parsePid(str(a["pid"]));
  const ip = pid?.ip ?? (isIp(hostname) ? hostname : "");
  return { id, hostname, ip, port: pid?.port ?? numOr(a["port"] ?? info["port"]) ?? 5051 };
}

/** Builds a FrameworkView from a legacy `frameworks[]` entry or a v1 `GetFrameworks.Framework`. */
export function frameworkViewOf(raw: unknown): FrameworkView | undefined {
  const f = obj(raw);
  const info = f["framework_info"] === undefined ? f : obj(f["framework_info"]);
  const id = idOf(info["id"]);
  if (!id) return undefined;
  const hostname = str(info["hostname"]);
  const pid = parsePid(str(f["pid"]));
  const webui = /^\w+:\/\/([^/:]+):(\d+)/.exec(str(info["webui_url"]));
  const ip = pid?.ip ?? (isIp(hostname) ? hostname : webui && isIp(webui[1]!) ? webui[1] : undefined);
  return { id, name: str(info["name"]), hostname, ip, port: pid?.port ?? (webui ? Number(webui[2]) : undefined) };
}

const byId = <T extends { id: string }>(items: (T | undefined)[]): Map<string, T> => new Map(items.filter((x): x is T => !!x).map((x) => [x.id, x]));

/** The view of a legacy `/master/state` document (what Mesos-DNS polls). */
export function clusterViewFromMasterState(raw: unknown): ClusterView {
  const s = obj(raw);
  const frameworks = arr(s["frameworks"]).map(obj);
  const leaderPid = parsePid(str(s["leader"]));
  const info = obj(s["leader_info"]);
  const leader = leaderPid && { ip: leaderPid.ip, port: leaderPid.port, hostname: str(info["hostname"]) || leaderPid.ip };
  const tasks = frameworks.flatMap((f) => arr(f["tasks"]).map((t) => taskViewOf({ framework_id: f["id"], ...obj(t) })));
  return {
    leader,
    agents: byId(arr(s["slaves"]).map(agentViewOf)),
    frameworks: byId(frameworks.map(frameworkViewOf)),
    tasks: byId(tasks),
  };
}

/** The view of an operator GET_STATE payload (`get_state` of SUBSCRIBED); the leader is kept from `previous`. */
export function clusterViewFromGetState(raw: unknown, leader?: MasterView): ClusterView {
  const s = obj(raw);
  return {
    leader,
    agents: byId(arr(obj(s["get_agents"])["agents"]).map(agentViewOf)),
    frameworks: byId(arr(obj(s["get_frameworks"])["frameworks"]).map(frameworkViewOf)),
    tasks: byId(arr(obj(s["get_tasks"])["tasks"]).map(taskViewOf)),
  };
}
