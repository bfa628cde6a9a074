/**
 * The legacy JSON views (`/master/state`, `/master/slaves`, `/master/frameworks`, `/master/tasks`,
 * `/master/state-summary`) in Mesos' shapes (mesos-core.md §4.3): `slave_id`, legacy resource objects,
 * labels as plain arrays. These build plain objects; legacy-stream.ts writes the large documents from
 * their JSON, cached between requests.
 */
import { isTerminalState, legacyAttributeValue, legacyResources, legacyResourcesOf, type Resource, type TaskStatus } from "@caravel/api";
import type { MasterContext } from "../core/context.js";
import { MASTER_VERSION } from "../core/context.js";
import type { AgentRecord, FrameworkRecord, TaskRecord } from "../state/types.js";
import { agentTasks, offersByAgent } from "./v1.js";

const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

function legacyStatus(s: TaskStatus): Record<string, unknown> {
  return { state: s.state, timestamp: s.timestamp, labels: s.labels?.labels, container_status: s.container_status, healthy: s.healthy };
}

export function legacyTask(task: TaskRecord): Record<string, unknown> {
  const info = task.info;
  return {
    id: info.task_id.value,
    name: info.name,
    framework_id: task.frameworkId,
    executor_id: task.executorId ?? "",
    slave_id: task.agentId,
    state: task.state,
    resources: legacyResources(info.resources),
    limits: info.limits ? Object.fromEntries(Object.entries(info.limits).map(([k, v]) => [k, v.value])) : undefined,
    role: task.role,
    statuses: task.statuses.map(legacyStatus),
    user: info.command?.user,
    labels: info.labels?.labels,
    discovery: info.discovery,
    container: info.container,
    health_check: info.health_check,
  };
}

function reserved(resources: Resource[]): Record<string, Record<string, number | string>> {
  const byRole = new Map<string, Resource[]>();
  for (const r of resources) if ((r.role ?? "*") !== "*") byRole.set(r.role!, [...(byRole.get(r.role!) ?? []), r]);
  return Object.fromEntries([...byRole].map(([role, rs]) => [role, legacyResources(rs)]));
}

export function legacyAgent(
  ctx: MasterContext,
  agent: AgentRecord,
  offers = offersByAgent(ctx),
  running: Resource[][] = agentTasks(ctx, agent).filter((t) => !t.released && !isTerminalState(t.state)).map((t) => t.resources),
): Record<string, unknown> {
  return {
    id: agent.id,
    hostname: agent.info.hostname,
    port: agent.info.port,
    attributes: Object.fromEntries(agent.info.attributes.map((a) => [a.name, legacyAttributeValue(a)])),
    domain: agent.info.domain,
    pid: agent.pid,
    registered_time: seconds(agent.registeredTime),
    reregistered_time: seconds(agent.reregisteredTime),
    resources: legacyResources(agent.total),
    used_resources: legacyResourcesOf(running),
    offered_resources: legacyResourcesOf((offers.get(agent.id) ?? []).map((o) => o.resources)),
    reserved_resources: reserved(agent.total),
    unreserved_resources: legacyResources(agent.total.filter((r) => (r.role ?? "*") === "*")),
    active: agent.state === "REGISTERED" && !agent.deactivated,
    deactivated: agent.deactivated,
    version: agent.version,
    capabilities: agent.capabilities,
    drain_info: agent.drain ? { state: agent.drain.state } : undefined,
  };
}

/** A framework's fields apart from its task lists (which are streamed separately). */
export function legacyFrameworkHead(fw: FrameworkRecord): Record<string, unknown> {
  const used = [...fw.tasks.values()].filter((t) => !t.released && !isTerminalState(t.state)).map((t) => t.resources);
  const offered = [...fw.offers.values()].map((o) => o.resources);
  return {
    id: fw.id,
    name: fw.info.name,
    used_resources: legacyResourcesOf(used),
    offered_resources: legacyResourcesOf(offered),
    resources: legacyResourcesOf([...used, ...offered]),
    capabilities: fw.info.capabilities.map((c) => c.type),
    hostname: fw.info.hostname ?? "",
    webui_url: fw.info.webui_url ?? "",
    active: fw.connected,
    connected: fw.connected,
    recovered: fw.recovered,
    user: fw.info.user,
    failover_timeout: fw.info.failover_timeout,
    checkpoint: fw.info.checkpoint,
    registered_time: seconds(fw.registeredTime),
    unregistered_time: seconds(fw.unregisteredTime) ?? 0,
    reregistered_time: seconds(fw.reregisteredTime),
    principal: fw.info.principal,
    ...(fw.info.capabilities.some((c) => c.type === "MULTI_ROLE") ? { roles: fw.roles } : { role: fw.roles[0] ?? "*" }),
    labels: fw.info.labels?.labels,
    offers: [...fw.offers.values()].map((o) => ({ id: o.id, framework_id: o.frameworkId, slave_id: o.agentId, allocation_info: { role: o.role }, resources: legacyResources(o.resources) })),
    executors: [...fw.executors.entries()].map(([id, e]) => ({ executor_id: id, framework_id: fw.id, slave_id: e.agentId })),
  };
}

export function stateHead(ctx: MasterContext, flags: Record<string, string>): Record<string, unknown> {
  const info = ctx.masterInfo;
  const agents = [...ctx.agents.values()];
  return {
    version: MASTER_VERSION,
    build_date: "",
    build_time: seconds(ctx.startTime),
    build_user: "caravel",
    start_time: seconds(ctx.startTime),
    elected_time: seconds(ctx.electedTime),
    id: info.id,
    pid: info.pid,
    hostname: info.hostname,
    capabilities: info.capabilities.map((c) => c.type),
    activated_slaves: agents.filter((a) => a.state === "REGISTERED" && !a.deactivated).length,
    deactivated_slaves: agents.filter((a) => a.deactivated).length,
    unreachable_slaves: agents.filter((a) => a.state === "UNREACHABLE").length,
    leader: info.pid,
    leader_info: { id: info.id, pid: info.pid, port: info.port, hostname: info.hostname, address: info.address },
    cluster: ctx.config.cluster,
    log_dir: ctx.config.work_dir,
    flags,
    orphan_tasks: [],
    unregistered_frameworks: [],
  };
}
