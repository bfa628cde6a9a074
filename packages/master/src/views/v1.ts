/** v1 JSON views of master records, for the operator API (GET_* and the SUBSCRIBE stream). */
import { isTerminalState, sumResources, type Resource } from "@caravel/api";
import type { MasterContext } from "../core/context.js";
import type { AgentRecord, FrameworkRecord, OfferRecord, TaskRecord } from "../state/types.js";
import { forEndpoint, nanos } from "./resources.js";

export function v1Task(task: TaskRecord): Record<string, unknown> {
  const info = task.info;
  return {
    name: info.name,
    task_id: info.task_id,
    framework_id: { value: task.frameworkId },
    executor_id: task.executorId ? { value: task.executorId } : undefined,
    agent_id: { value: task.agentId },
    state: task.state,
    status_update_state: task.statusUpdateState,
    status_update_uuid: task.statusUpdateUuid,
    resources: info.resources.map(forEndpoint),
    statuses: task.statuses.map(({ data: _data, ...status }) => status),
    labels: info.labels,
    discovery: info.discovery,
    container: info.container,
    health_check: info.health_check,
    kill_policy: info.kill_policy,
    limits: info.limits,
    user: info.command?.user,
  };
}

/** Resources held by the tasks that still run (not released to the allocator). */
export function taskResources(tasks: Iterable<TaskRecord>): Resource[] {
  const lists: Resource[][] = [];
  for (const t of tasks) if (!t.released && !isTerminalState(t.state)) lists.push(t.resources);
  return sumResources(lists);
}

export const offeredResources = (offers: Iterable<OfferRecord>): Resource[] => sumResources([...offers].map((o) => o.resources));

export function agentTasks(ctx: MasterContext, agent: AgentRecord): TaskRecord[] {
  const out: TaskRecord[] = [];
  for (const key of agent.tasks) {
    const slash = key.indexOf("/");
    const fw = ctx.frameworks.get(key.slice(0, slash));
    const task = fw?.tasks.get(key.slice(slash + 1)) ?? fw?.unreachableTasks.get(key.slice(slash + 1));
    if (task) out.push(task);
  }
  return out;
}

export function agentOffers(ctx: MasterContext, agent: AgentRecord): OfferRecord[] {
  return offersByAgent(ctx).get(agent.id) ?? [];
}

/** Outstanding offers grouped by agent (one pass over all frameworks). */
export function offersByAgent(ctx: MasterContext): Map<string, OfferRecord[]> {
  const out = new Map<string, OfferRecord[]>();
  for (const fw of ctx.frameworks.values()) {
    for (const o of fw.offers.values()) {
      const list = out.get(o.agentId);
      if (list) list.push(o);
      else out.set(o.agentId, [o]);
    }
  }
  return out;
}

export function v1Agent(ctx: MasterContext, agent: AgentRecord): Record<string, unknown> {
  return {
    agent_info: { ...agent.info, resources: agent.total.map(forEndpoint) },
    active: agent.state === "REGISTERED" && !agent.deactivated,
    deactivated: agent.deactivated,
    version: agent.version,
    pid: agent.pid,
    registered_time: nanos(agent.registeredTime),
    reregistered_time: agent.reregisteredTime ? nanos(agent.reregisteredTime) : undefined,
    total_resources: agent.total.map(forEndpoint),
    allocated_resources: taskResources(agentTasks(ctx, agent)).map(forEndpoint),
    offered_resources: offeredResources(agentOffers(ctx, agent)).map(forEndpoint),
    capabilities: agent.capabilities.map((type) => ({ type })),
    drain_info: agent.drain ? { state: agent.drain.state, config: { mark_gone: agent.drain.markGone, max_grace_period: agent.drain.maxGracePeriodSeconds === undefined ? undefined : { seconds: agent.drain.maxGracePeriodSeconds } } } : undefined,
  };
}

export function v1Framework(fw: FrameworkRecord): Record<string, unknown> {
  return {
    framework_info: fw.info,
    active: fw.connected,
    connected: fw.connected,
    recovered: fw.recovered,
    registered_time: nanos(fw.registeredTime),
    reregistered_time: fw.reregisteredTime ? nanos(fw.reregisteredTime) : undefined,
    unregistered_time: fw.unregisteredTime ? nanos(fw.unregisteredTime) : undefined,
    offers: [...fw.offers.values()].map((o) => ({
      id: { value: o.id },
      framework_id: { value: o.frameworkId },
      agent_id: { value: o.agentId },
      resources: o.resources.map(forEndpoint),
      allocation_info: { role: o.role },
    })),
    allocated_resources: taskResources(fw.tasks.values()).map(forEndpoint),
    offered_resources: offeredResources(fw.offers.values()).map(forEndpoint),
  };
}

export function getTasks(ctx: MasterContext): Record<string, unknown> {
  const tasks: unknown[] = [];
  const unreachable: unknown[] = [];
  const completed: unknown[] = [];
  for (const fw of [...ctx.frameworks.values(), ...ctx.completedFrameworks]) {
    for (const t of fw.tasks.values()) tasks.push(v1Task(t));
    for (const t of fw.unreachableTasks.values()) unreachable.push(v1Task(t));
    for (const t of fw.completedTasks) completed.push(v1Task(t));
  }
  return { tasks, unreachable_tasks: unreachable, completed_tasks: completed };
}

export function getAgents(ctx: MasterContext): Record<string, unknown> {
  return {
    agents: [...ctx.agents.values()].filter((a) => a.state === "REGISTERED" || a.state === "DISCONNECTED").map((a) => v1Agent(ctx, a)),
    recovered_agents: [...ctx.recoveredAgents.entries()].map(([id, a]) => ({ id: { value: id }, hostname: a.hostname, port: a.port })),
  };
}

export function getFrameworks(ctx: MasterContext): Record<string, unknown> {
  return {
    frameworks: [...ctx.frameworks.values()].map(v1Framework),
    completed_frameworks: ctx.completedFrameworks.map(v1Framework),
  };
}

export function getExecutors(ctx: MasterContext): Record<string, unknown> {
  const executors: unknown[] = [];
  for (const fw of ctx.frameworks.values()) for (const e of fw.executors.values()) executors.push({ executor_info: e.info, agent_id: { value: e.agentId } });
  return { executors };
}

export function getState(ctx: MasterContext): Record<string, unknown> {
  return { get_tasks: getTasks(ctx), get_executors: getExecutors(ctx), get_frameworks: getFrameworks(ctx), get_agents: getAgents(ctx) };
}
