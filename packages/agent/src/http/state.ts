/** The agent's `/state` in Mesos' shape (mesos-core.md §5.5), built from an Agent's picture. */
import type { Resource } from "@caravel/api";
import { addResources, isTerminalState, legacyAttributeValue, legacyResources } from "@caravel/api";
import { AGENT_VERSION, type Agent } from "../core/agent.js";
import type { TaskRecord } from "../core/task-record.js";

function byRole(resources: readonly Resource[]) {
  const reserved: Record<string, Resource[]> = {};
  const unreserved: Resource[] = [];
  for (const r of resources) {
    const role = r.reservations.at(-1)?.role ?? r.role ?? "*";
    if (role === "*") unreserved.push(r);
    else (reserved[role] ??= []).push(r);
  }
  return { reserved, unreserved };
}

function taskJson(agent: Agent, r: TaskRecord) {
  const out: Record<string, unknown> = {
    id: r.info.task_id.value,
    name: r.info.name,
    framework_id: r.frameworkId,
    executor_id: r.group ? r.executorId : "",
    slave_id: agent.agentId ?? "",
    state: r.state,
    resources: legacyResources(r.info.resources),
    role: r.info.resources[0]?.role ?? "*",
    statuses: r.latestStatus ? [r.latestStatus] : [],
  };
  if (r.info.labels) out["labels"] = r.info.labels.labels;
  if (r.info.discovery) out["discovery"] = r.info.discovery;
  if (r.info.container) out["container"] = r.info.container;
  if (r.info.health_check) out["health_check"] = r.info.health_check;
  return out;
}

/** Tasks grouped by framework and executor, as the Mesos agent lists them. */
function frameworksJson(agent: Agent) {
  const frameworks = new Map<string, Map<string, { records: TaskRecord[] }>>();
  const completedExecutors = new Map<string, Map<string, { records: TaskRecord[] }>>();
  const add = (target: typeof frameworks, r: TaskRecord) => {
    const execs = target.get(r.frameworkId) ?? new Map<string, { records: TaskRecord[] }>();
    target.set(r.frameworkId, execs);
    const e = execs.get(r.executorId) ?? { records: [] };
    execs.set(r.executorId, e);
    e.records.push(r);
  };
  for (const r of agent.tasks.values()) add(frameworks, r);
  for (const r of agent.completed) add(completedExecutors, r);
  const executorJson = (executorId: string, records: TaskRecord[]) => {
    const first = records[0]!;
    return {
      id: executorId,
      name: `Command Executor (Task: ${executorId})`,
      source: executorId,
      container: first.containerId,
      directory: first.group ? first.sandbox.replace(/\/tasks\/[^/]+$/, "") : first.sandbox,
      resources: legacyResources(addResources([], records.flatMap((x) => x.info.resources))),
      role: first.info.resources[0]?.role ?? "*",
      labels: first.info.labels?.labels ?? [],
      type: first.group ? "DEFAULT" : "COMMAND",
      tasks: records.filter((x) => !isTerminalState(x.state)).map((x) => taskJson(agent, x)),
      queued_tasks: [],
      completed_tasks: records.filter((x) => isTerminalState(x.state)).map((x) => taskJson(agent, x)),
    };
  };
  const ids = new Set([...frameworks.keys(), ...completedExecutors.keys()]);
  const live: unknown[] = [];
  for (const id of ids) {
    const info = agent.frameworks.get(id);
    live.push({
      id,
      name: info?.name ?? "",
      user: info?.user ?? "",
      failover_timeout: info?.failover_timeout ?? 0,
      checkpoint: info?.checkpoint ?? false,
      hostname: info?.hostname ?? "",
      role: info?.role ?? "*",
      roles: info?.roles ?? [],
      capabilities: (info?.capabilities ?? []).map((c) => c.type),
      executors: [...(frameworks.get(id) ?? new Map()).entries()].map(([eid, e]) => executorJson(eid, e.records)),
      completed_executors: [...(completedExecutors.get(id) ?? new Map()).entries()].map(([eid, e]) => executorJson(eid, e.records)),
    });
  }
  return live;
}

export function agentState(agent: Agent, flags: Record<string, unknown>, logDir?: string) {
  const s = agent.settings;
  const total = addResources(s.resources, []);
  const { reserved, unreserved } = byRole(total);
  const allocated: Resource[] = [];
  for (const r of agent.tasks.values()) if (!isTerminalState(r.state)) allocated.push(...r.info.resources);
  const alloc = byRole(addResources([], allocated));
  const legacyByRole = (m: Record<string, Resource[]>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, legacyResources(v)]));
  return {
    version: AGENT_VERSION,
    build_date: "",
    build_time: 0,
    build_user: "caravel",
    start_time: agent.startTime,
    id: agent.agentId ?? "",
    pid: `slave(1)@${s.ip}:${s.port}`,
    hostname: s.hostname,
    capabilities: ["MULTI_ROLE", "HIERARCHICAL_ROLE", "RESERVATION_REFINEMENT", "TASK_RESOURCE_LIMITS"],
    resources: legacyResources(total),
    reserved_resources: legacyByRole(reserved),
    unreserved_resources: legacyResources(unreserved),
    reserved_resources_full: reserved,
    unreserved_resources_full: unreserved,
    reserved_resources_allocated: legacyByRole(alloc.reserved),
    unreserved_resources_allocated: legacyResources(alloc.unreserved),
    checkpointed_resources: agent.checkpointedResources,
    resource_providers: [],
    attributes: Object.fromEntries(s.attributes.map((a) => [a.name, legacyAttributeValue(a)])),
    master_hostname: agent.masterInfo?.hostname ?? "",
    log_dir: logDir ?? "",
    flags,
    frameworks: frameworksJson(agent),
    completed_frameworks: [],
  };
}
