/**
 * Record generation: a pure function of the cluster view and the DNS settings, producing every
 * name Mesos-DNS and dcos-net serve (dcos-services.md §3.4, §4.2). The result is an immutable
 * RecordSet swapped in atomically by the server.
 */
import { buildVipTable, isIpv4, L4LB_ZONE, type ClusterView, type TaskView } from "@caravel/api";
import { agentSuffix, frameworkFrag, isValidDnsName, taskHash, taskLabel } from "./names.js";
import type { RecordSet } from "./record-set.js";
import { RecordStore } from "./store.js";

export type IpSource = "netinfo" | "host" | "mesos" | "docker";

export interface GenerateOptions {
  /** The Mesos-DNS domain, `mesos` by default. */
  readonly domain: string;
  readonly ttl: number;
  /** Order in which task IP sources are tried; the first that yields addresses wins. */
  readonly ipSources: readonly IpSource[];
  /** Addresses the server answers on (A records of ns1.<domain>). */
  readonly nameserverIps: readonly string[];
  /** Static master list (`masterN.<domain>`); the leader is always added. */
  readonly masters: readonly string[];
  /** Pool of named VIP addresses; must equal the load balancer's. */
  readonly vipCidr: string;
}

/** The zone dcos-net serves next to Mesos-DNS's domain. */
export const DCOS_ZONE = "thisdcos.directory";
const VIP_TTL = 5;

/** Task addresses by IP-source order. */
export function taskIps(task: TaskView, agentIp: string | undefined, sources: readonly IpSource[]): string[] {
  for (const source of sources) {
    const ips =
      source === "netinfo" ? [...task.netinfoIps]
      : source === "host" ? (agentIp ? [agentIp] : [])
      : source === "docker" ? (task.dockerIp ? [task.dockerIp] : [])
      : task.mesosIp ? [task.mesosIp] : [];
    if (ips.length) return ips;
  }
  return [];
}

const protocolsOf = (p: string | undefined): string[] => {
  const list = (p ?? "").toLowerCase().split(",").filter((x) => x === "tcp" || x === "udp");
  return list.length ? list : ["tcp", "udp"];
};

/** One record contribution: an address or an SRV target for `name`, maybe owned by a task. */
export interface Op {
  name: string;
  ip?: string;
  srv?: { target: string; port: number };
  ttl?: number;
  owner: { framework: string; task: TaskView } | undefined;
}

const memo = new WeakMap<TaskView, { key: string; options: GenerateOptions; ops: Op[] }>();

/** The records of one running task, memoised per immutable TaskView (same array while unchanged). */
export function taskRecords(task: TaskView, frameworkName: string | undefined, agentIp: string | undefined, options: GenerateOptions): Op[] {
  const D = options.domain.toLowerCase().replace(/\.$/, "");
  const valid = isValidDnsName;
  const key = `${frameworkName ?? ""}|${agentIp ?? ""}`;
  const cached = memo.get(task);
  if (cached && cached.key === key && cached.options === options) return cached.ops;
  const ops: Op[] = [];
  const fw = frameworkName ? frameworkFrag(frameworkName) : "";
  const t = taskLabel(task.discovery?.name ?? task.name);
  if (fw && t) {
    const owner = { framework: frameworkName!, task };
    const a = (name: string, ip: string, own = true) => {
      if (valid(name)) ops.push({ name, ip, owner: own ? owner : undefined });
    };
    const srv = (name: string, target: string, port: number) => {
      if (valid(name) && valid(target)) ops.push({ name, srv: { target, port }, owner });
    };
    const canon = `${t}-${taskHash(task.id)}-${agentSuffix(task.agentId) || "s"}`;
    for (const ip of taskIps(task, agentIp, options.ipSources)) {
      a(`${t}.${fw}.${D}`, ip);
      a(`${canon}.${fw}.${D}`, ip);
    }
    if (agentIp) {
      a(`${t}.${fw}.slave.${D}`, agentIp);
      a(`${canon}.${fw}.slave.${D}`, agentIp);
      for (const port of task.hostPorts) {
        for (const proto of ["tcp", "udp"]) {
          srv(`_${t}._${proto}.${fw}.slave.${D}`, `${canon}.${fw}.slave.${D}`, port);
          if (!task.discovery) srv(`_${t}._${proto}.${fw}.${D}`, `${canon}.${fw}.slave.${D}`, port);
        }
      }
    }
    for (const port of task.discovery?.ports ?? []) {
      const portName = port.name ? taskLabel(port.name) : "";
      for (const proto of protocolsOf(port.protocol)) {
        srv(`_${t}._${proto}.${fw}.${D}`, `${canon}.${fw}.${D}`, port.number);
        if (portName) srv(`_${portName}._${t}._${proto}.${fw}.${D}`, `${canon}.${fw}.${D}`, port.number);
      }
    }
    // dcos-net zones.
    const containerIps = [...task.netinfoIps, ...(task.dockerIp ? [task.dockerIp] : []), ...(task.mesosIp ? [task.mesosIp] : [])];
    const z = `${t}.${fw}`;
    if (agentIp) a(`${z}.agentip.dcos.${DCOS_ZONE}`, agentIp, false);
    for (const ip of containerIps) a(`${z}.containerip.dcos.${DCOS_ZONE}`, ip, false);
    const auto = task.portMappings.length > 0 || !task.containerNetwork ? (agentIp ? [agentIp] : []) : containerIps;
    for (const ip of auto) a(`${z}.autoip.dcos.${DCOS_ZONE}`, ip, false);
  }
  memo.set(task, { key, options, ops });
  return ops;
}

/** The records that do not belong to one task: masters, agents, name servers, frameworks, VIPs. */
export function globalRecords(view: ClusterView, options: GenerateOptions): Op[] {
  const D = options.domain.toLowerCase().replace(/\.$/, "");
  const ops: Op[] = [];
  const a = (name: string, ip: string, ttl?: number) => {
    if (ip && isValidDnsName(name)) ops.push({ name, ip, owner: undefined, ...(ttl === undefined ? {} : { ttl }) });
  };
  const srv = (name: string, target: string, port: number) => {
    if (isValidDnsName(name) && isValidDnsName(target)) ops.push({ name, srv: { target, port }, owner: undefined });
  };
  const leader = view.leader;
  if (leader && isIpv4(leader.ip)) {
    a(`leader.${D}`, leader.ip);
    a(`master.${D}`, leader.ip);
    for (const proto of ["tcp", "udp"]) srv(`_leader._${proto}.${D}`, `leader.${D}`, leader.port);
  }
  options.masters.forEach((m, i) => {
    const ip = m.replace(/:\d+$/, "");
    a(`master${i}.${D}`, ip);
    a(`master.${D}`, ip);
  });
  for (const agent of view.agents.values()) {
    if (!agent.ip) continue;
    a(`slave.${D}`, agent.ip);
    srv(`_slave._tcp.${D}`, `slave.${D}`, agent.port);
    const sid = agentSuffix(agent.id);
    if (sid) a(`${sid}.slave.${D}`, agent.ip);
  }
  for (const ip of options.nameserverIps) {
    a(`ns1.${D}`, ip);
    a(`ns1.${DCOS_ZONE}`, ip);
  }
  // Frameworks: `<fw>.D` is where the scheduler runs.
  for (const fw of view.frameworks.values()) {
    const f = frameworkFrag(fw.name);
    if (!f || !fw.ip) continue;
    a(`${f}.${D}`, fw.ip);
    if (fw.port) srv(`_framework._tcp.${f}.${D}`, `${f}.${D}`, fw.port);
  }
  // Named VIPs: the same addresses the load balancer programs.
  for (const entry of buildVipTable(view, options.vipCidr)) {
    if (entry.fqdn && entry.backends.length) a(entry.fqdn, entry.ip, VIP_TTL);
  }
  return ops;
}

/** Every record for the view (a fresh store; the server keeps one store and updates it in place). */
export function generateRecords(view: ClusterView, options: GenerateOptions): RecordSet {
  const store = new RecordStore(options);
  store.update(view);
  return store.records();
}

export { L4LB_ZONE };
