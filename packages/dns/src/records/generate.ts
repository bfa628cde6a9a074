/**
 * Record generation: a pure function of the cluster view and the DNS settings, producing every
 * name Mesos-DNS and dcos-net serve (dcos-services.md §3.4, §4.2). The result is an immutable
 * RecordSet swapped in atomically by the server.
 */
import { buildVipTable, isIpv4, L4LB_ZONE, type ClusterView, type TaskView } from "@caravel/api";
import { agentSuffix, frameworkFrag, isValidDnsName, taskHash, taskLabel } from "./names.js";
import { RecordSetBuilder, type RecordSet } from "./record-set.js";

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

/** Every record for the view. */
export function generateRecords(view: ClusterView, options: GenerateOptions): RecordSet {
  const D = options.domain.toLowerCase().replace(/\.$/, "");
  const b = new RecordSetBuilder([D, DCOS_ZONE], options.ttl, isValidDnsName);

  // Masters, agents and name servers.
  const leader = view.leader;
  if (leader && isIpv4(leader.ip)) {
    b.addressTo(`leader.${D}`, leader.ip);
    b.addressTo(`master.${D}`, leader.ip);
    for (const proto of ["tcp", "udp"]) b.srv(`_leader._${proto}.${D}`, `leader.${D}`, leader.port);
  }
  options.masters.forEach((m, i) => {
    const ip = m.replace(/:\d+$/, "");
    b.addressTo(`master${i}.${D}`, ip);
    b.addressTo(`master.${D}`, ip);
  });
  for (const agent of view.agents.values()) {
    if (!agent.ip) continue;
    b.addressTo(`slave.${D}`, agent.ip);
    b.srv(`_slave._tcp.${D}`, `slave.${D}`, agent.port);
    const sid = agentSuffix(agent.id);
    if (sid) b.addressTo(`${sid}.slave.${D}`, agent.ip);
  }
  for (const ip of options.nameserverIps) {
    b.addressTo(`ns1.${D}`, ip);
    b.addressTo(`ns1.${DCOS_ZONE}`, ip);
  }

  // Frameworks: `<fw>.D` is where the scheduler runs.
  for (const fw of view.frameworks.values()) {
    const f = frameworkFrag(fw.name);
    if (!f || !fw.ip) continue;
    b.addressTo(`${f}.${D}`, fw.ip);
    if (fw.port) b.srv(`_framework._tcp.${f}.${D}`, `${f}.${D}`, fw.port);
  }

  // Tasks.
  for (const task of view.tasks.values()) {
    if (task.state !== "TASK_RUNNING") continue;
    const framework = view.frameworks.get(task.frameworkId);
    const fw = framework ? frameworkFrag(framework.name) : "";
    const t = taskLabel(task.discovery?.name ?? task.name);
    if (!fw || !t) continue;
    const agent = view.agents.get(task.agentId);
    const agentIp = agent?.ip || undefined;
    const canon = `${t}-${taskHash(task.id)}-${agentSuffix(task.agentId) || "s"}`;
    const owner = { framework: framework!.name, task };
    for (const ip of taskIps(task, agentIp, options.ipSources)) {
      b.addressTo(`${t}.${fw}.${D}`, ip, owner);
      b.addressTo(`${canon}.${fw}.${D}`, ip, owner);
    }
    if (agentIp) {
      b.addressTo(`${t}.${fw}.slave.${D}`, agentIp, owner);
      b.addressTo(`${canon}.${fw}.slave.${D}`, agentIp, owner);
      for (const port of task.hostPorts) {
        for (const proto of ["tcp", "udp"]) {
          b.srv(`_${t}._${proto}.${fw}.slave.${D}`, `${canon}.${fw}.slave.${D}`, port, owner);
          if (!task.discovery) b.srv(`_${t}._${proto}.${fw}.${D}`, `${canon}.${fw}.slave.${D}`, port, owner);
        }
      }
    }
    for (const port of task.discovery?.ports ?? []) {
      const portName = port.name ? taskLabel(port.name) : "";
      for (const proto of protocolsOf(port.protocol)) {
        b.srv(`_${t}._${proto}.${fw}.${D}`, `${canon}.${fw}.${D}`, port.number, owner);
        if (portName) b.srv(`_${portName}._${t}._${proto}.${fw}.${D}`, `${canon}.${fw}.${D}`, port.number, owner);
      }
    }
    // dcos-net zones.
    const containerIps = [...task.netinfoIps, ...(task.dockerIp ? [task.dockerIp] : []), ...(task.mesosIp ? [task.mesosIp] : [])];
    const z = `${t}.${fw}`;
    if (agentIp) b.addressTo(`${z}.agentip.dcos.${DCOS_ZONE}`, agentIp);
    for (const ip of containerIps) b.addressTo(`${z}.containerip.dcos.${DCOS_ZONE}`, ip);
    const auto = task.portMappings.length > 0 || !task.containerNetwork ? (agentIp ? [agentIp] : []) : containerIps;
    for (const ip of auto) b.addressTo(`${z}.autoip.dcos.${DCOS_ZONE}`, ip);
  }

  // Named VIPs: the same addresses the load balancer programs.
  for (const entry of buildVipTable(view, options.vipCidr)) {
    if (entry.fqdn && entry.backends.length) b.addressTo(entry.fqdn, entry.ip, undefined, VIP_TTL);
  }
  return b.build();
}

export { L4LB_ZONE };
