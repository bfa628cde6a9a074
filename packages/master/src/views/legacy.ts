/**
 * The legacy JSON views (`/master/state`, `/master/slaves`, `/master/frameworks`, `/master/tasks`,
 * `/master/state-summary`) in Mesos' shapes (mesos-core.md §4.3): `slave_id`, legacy resource objects,
 * labels as plain arrays. State can be huge (hundreds of thousands of tasks), so it is written as a
 * stream of small JSON pieces instead of one string.
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

/** Resources of running tasks grouped by agent, in one pass over all tasks (for whole-state views). */
export function runningResourcesByAgent(ctx: MasterContext): Map<string, Resource[][]> {
  const out = new Map<string, Resource[][]>();
  for (const fw of ctx.frameworks.values()) {
    for (const t of fw.tasks.values()) {
      if (t.released || isTerminalState(t.state)) continue;
      const list = out.get(t.agentId);
      if (list) list.push(t.info.resources);
      else out.set(t.agentId, [t.info.resources]);
    }
  }
  return out;
}

export function legacyAgent(
  ctx: MasterContext,
  agent: AgentRecord,
  offers = offersByAgent(ctx),
  running: Resource[][] = agentTasks(ctx, agent).filter((t) => !t.released && !isTerminalState(t.state)).map((t) => t.info.resources),
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
  const used = [...fw.tasks.values()].filter((t) => !t.released && !isTerminalState(t.state)).map((t) => t.info.resources);
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

/** A sink for streamed JSON: `write` may return a promise to apply backpressure. */
export type JsonSink = (chunk: string) => void | Promise<void>;

/**
 * A task's legacy JSON, cached until the task changes: state documents are requested often (every
 * Mesos-DNS and UI poll) while most tasks stay as they are.
 */
const taskJsonCache = new WeakMap<TaskRecord, { revision: number; json: string }>();
export function legacyTaskJson(task: TaskRecord): string {
  const cached = taskJsonCache.get(task);
  if (cached && cached.revision === task.revision) return cached.json;
  const json = JSON.stringify(legacyTask(task));
  taskJsonCache.set(task, { revision: task.revision, json });
  return json;
}

/** Writes a JSON array of items, a batch of pieces per write. */
async function writeArray<T>(sink: JsonSink, items: Iterable<T>, render: (item: T) => unknown, toJson: (item: T) => string = (item) => JSON.stringify(render(item))): Promise<void> {
  await sink("[");
  let batch: string[] = [];
  let first = true;
  for (const item of items) {
    batch.push((first ? "" : ",") + toJson(item));
    first = false;
    if (batch.length >= 500) {
      await sink(batch.join(""));
      batch = [];
    }
  }
  await sink(batch.join("") + "]");
}

async function writeFramework(sink: JsonSink, fw: FrameworkRecord): Promise<void> {
  const head = JSON.stringify(legacyFrameworkHead(fw));
  await sink(head.slice(0, -1) + ',"tasks":');
  await writeArray(sink, fw.tasks.values(), legacyTask, legacyTaskJson);
  await sink(',"unreachable_tasks":');
  await writeArray(sink, fw.unreachableTasks.values(), legacyTask, legacyTaskJson);
  await sink(',"completed_tasks":');
  await writeArray(sink, fw.completedTasks, legacyTask, legacyTaskJson);
  await sink("}");
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

/** Streams the whole `/master/state` document. */
export async function writeState(ctx: MasterContext, flags: Record<string, string>, sink: JsonSink): Promise<void> {
  const head = JSON.stringify(stateHead(ctx, flags));
  await sink(head.slice(0, -1) + ',"slaves":');
  const offers = offersByAgent(ctx);
  const running = runningResourcesByAgent(ctx);
  await writeArray(sink, [...ctx.agents.values()].filter((a) => a.state === "REGISTERED" || a.state === "DISCONNECTED"), (a) => legacyAgent(ctx, a, offers, running.get(a.id) ?? []));
  await sink(',"recovered_slaves":');
  await writeArray(sink, ctx.recoveredAgents.entries(), ([id, a]) => ({ id, hostname: a.hostname, port: a.port }));
  await sink(',"frameworks":[');
  let first = true;
  for (const fw of ctx.frameworks.values()) {
    if (!first) await sink(",");
    first = false;
    await writeFramework(sink, fw);
  }
  await sink('],"completed_frameworks":[');
  first = true;
  for (const fw of ctx.completedFrameworks) {
    if (!first) await sink(",");
    first = false;
    await writeFramework(sink, fw);
  }
  await sink("]}");
}

export function stateSummary(ctx: MasterContext): Record<string, unknown> {
  const countStates = (tasks: Iterable<TaskRecord>) => {
    const counts: Record<string, number> = {};
    for (const s of ["TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_FINISHED", "TASK_KILLED", "TASK_FAILED", "TASK_LOST", "TASK_ERROR", "TASK_UNREACHABLE"]) counts[s] = 0;
    for (const t of tasks) counts[t.state] = (counts[t.state] ?? 0) + 1;
    return counts;
  };
  return {
    hostname: ctx.masterInfo.hostname,
    cluster: ctx.config.cluster,
    slaves: [...ctx.agents.values()].filter((a) => a.state === "REGISTERED" || a.state === "DISCONNECTED").map((a) => {
      const tasks = agentTasks(ctx, a);
      return { ...legacyAgent(ctx, a), ...countStates(tasks), framework_ids: [...new Set(tasks.map((t) => t.frameworkId))] };
    }),
    frameworks: [...ctx.frameworks.values()].map((fw) => ({
      ...legacyFrameworkHead(fw),
      offers: undefined,
      executors: undefined,
      ...countStates([...fw.tasks.values(), ...fw.unreachableTasks.values(), ...fw.completedTasks]),
      slave_ids: [...new Set([...fw.tasks.values()].map((t) => t.agentId))],
    })),
  };
}
