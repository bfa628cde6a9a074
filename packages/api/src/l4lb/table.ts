/**
 * The VIP table: a pure function of the cluster view. Every port label whose key starts with
 * `VIP`/`vip` (and the legacy task label `VIP_PORT<n>`) declares a VIP; its backends are the tasks in
 * TASK_RUNNING, weight 1 when healthy (or without health checks) and 0 when unhealthy, which keeps
 * existing connections but sends no new ones (dcos-services.md §4.1).
 */
import type { ClusterView, DiscoveryPortView, TaskView } from "../dns/cluster.js";
import { assignVipAddresses, isVipLabelKey, parseVipValue, vipFqdn, type VipSpec } from "./vip.js";

export type VipProtocol = "tcp" | "udp";

export interface VipBackend {
  readonly ip: string;
  readonly port: number;
  /** 1 = takes new connections; 0 = running but unhealthy (drain only). */
  readonly weight: 0 | 1;
  readonly taskId: string;
}

export interface VipEntry {
  /** `name.fw.l4lb.thisdcos.directory:port` or `ip:port`, as dcos-net's `/v1/vips` names it. */
  readonly key: string;
  readonly protocol: VipProtocol;
  /** The DNS name of a named VIP; undefined for IP VIPs. */
  readonly fqdn: string | undefined;
  readonly ip: string;
  readonly port: number;
  readonly backends: readonly VipBackend[];
}

interface Declared {
  spec: VipSpec;
  protocol: VipProtocol;
  framework: string;
  backend: { ip: string; port: number };
}

/** Where a task serves a discovery port: host port mapping, container IP, or the agent. */
function backendFor(task: TaskView, agentIp: string, port: DiscoveryPortView): { ip: string; port: number } | undefined {
  const mapping = task.portMappings.find((m) => m.containerPort === port.number && m.hostPort > 0);
  if (mapping && !task.hostPorts.includes(port.number)) return agentIp ? { ip: agentIp, port: mapping.hostPort } : undefined;
  if (task.hostPorts.includes(port.number) || !task.containerNetwork) return agentIp ? { ip: agentIp, port: port.number } : undefined;
  const ip = task.netinfoIps.find((a) => !a.includes(":")) ?? task.netinfoIps[0] ?? task.dockerIp ?? task.mesosIp;
  return ip ? { ip, port: port.number } : undefined;
}

const protoOf = (p: string | undefined): VipProtocol[] =>
  p === undefined || p === "" ? ["tcp"] : p.toLowerCase().split(",").filter((x): x is VipProtocol => x === "tcp" || x === "udp");

/** The VIP declarations of one task (empty when it declares none). */
export function declaredVips(task: TaskView, agentIp: string, framework: string): Declared[] {
  const out: Declared[] = [];
  for (const port of task.discovery?.ports ?? []) {
    for (const label of port.labels) {
      if (!isVipLabelKey(label.key)) continue;
      const spec = parseVipValue(label.value);
      const backend = spec && backendFor(task, agentIp, port);
      if (!spec || !backend) continue;
      for (const protocol of protoOf(port.protocol)) out.push({ spec, protocol, framework, backend });
    }
  }
  for (const label of task.labels) {
    const m = /^VIP_PORT(\d+)$/.exec(label.key);
    const hostPort = m ? task.hostPorts[Number(m[1])] : undefined;
    const spec = m ? parseVipValue(label.value) : undefined;
    if (!spec || hostPort === undefined || !agentIp) continue;
    out.push({ spec, protocol: spec.protocol ?? "tcp", framework, backend: { ip: agentIp, port: hostPort } });
  }
  return out;
}

/**
 * Builds the whole table. Tasks that are not running are skipped; a VIP whose every backend stopped
 * disappears. `cidr` is the pool named VIPs are hashed into (11.0.0.0/8 by default).
 */
export function buildVipTable(view: ClusterView, cidr: string): VipEntry[] {
  const groups = new Map<string, { protocol: VipProtocol; fqdn: string | undefined; ip: string | undefined; port: number; backends: VipBackend[] }>();
  for (const task of view.tasks.values()) {
    if (task.state !== "TASK_RUNNING") continue;
    const agentIp = view.agents.get(task.agentId)?.ip ?? "";
    const framework = view.frameworks.get(task.frameworkId)?.name ?? "";
    for (const d of declaredVips(task, agentIp, framework)) {
      const fqdn = d.spec.kind === "named" ? vipFqdn(d.spec.name, d.framework) : undefined;
      const host = fqdn ?? (d.spec.kind === "ip" ? d.spec.ip : "");
      const id = `${d.protocol}/${host}:${d.spec.port}`;
      const group = groups.get(id) ?? { protocol: d.protocol, fqdn, ip: d.spec.kind === "ip" ? d.spec.ip : undefined, port: d.spec.port, backends: [] };
      const weight: 0 | 1 = task.healthy === false ? 0 : 1;
      if (!group.backends.some((b) => b.ip === d.backend.ip && b.port === d.backend.port)) {
        group.backends.push({ ...d.backend, weight, taskId: task.id });
      }
      groups.set(id, group);
    }
  }
  const addresses = assignVipAddresses([...groups.values()].flatMap((g) => (g.fqdn ? [g.fqdn] : [])), cidr);
  const entries = [...groups.values()].map((g): VipEntry => {
    const ip = g.fqdn ? addresses.get(g.fqdn)! : g.ip!;
    const backends = [...g.backends].sort((a, b) => (a.ip === b.ip ? a.port - b.port : a.ip < b.ip ? -1 : 1));
    return { key: `${g.fqdn ?? (ip.includes(":") ? `[${ip}]` : ip)}:${g.port}`, protocol: g.protocol, fqdn: g.fqdn, ip, port: g.port, backends };
  });
  return entries.sort((a, b) => (a.key === b.key ? (a.protocol < b.protocol ? -1 : 1) : a.key < b.key ? -1 : 1));
}

/** dcos-net's `GET /v1/vips` shape. */
export interface VipsResponseEntry {
  vip: string;
  protocol: VipProtocol;
  backend: { ip: string; port: number }[];
}

export const toVipsResponse = (table: readonly VipEntry[]): VipsResponseEntry[] =>
  table.map((e) => ({ vip: e.key, protocol: e.protocol, backend: e.backends.filter((b) => b.weight > 0).map((b) => ({ ip: b.ip, port: b.port })) }));
