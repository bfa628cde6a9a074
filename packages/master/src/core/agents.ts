/**
 * Agent lifecycle (mesos-core.md §5.1): registration and re-registration with running tasks,
 * disconnection, liveness by pings, unreachable and gone agents, and their return.
 */
import {
  addResources,
  fnv1a32,
  hasCapability,
  isTerminalState,
  normalizeResource,
  subtractResources,
  toMesosJson,
  type AgentCall,
  type FrameworkInfo,
  type MasterInfo,
  type Resource,
} from "@caravel/api";
import type { EventStream } from "../state/stream.js";
import { reportedTaskRecord, taskDetails, type ReportedTask } from "../state/reported-task.js";
import { newAgentRecord, taskKey, type AgentRecord, type FrameworkRecord, type TaskRecord } from "../state/types.js";
import { agentTasks, v1Agent, v1Task } from "../views/v1.js";
import type { MasterContext } from "./context.js";
import { persistedDrain, startDrain } from "./drain.js";
import { recoverFramework } from "./frameworks.js";
import { rescindAgentOffers } from "./offers.js";
import { masterUpdate, sendToFramework } from "./tasks.js";

type Subscribe = NonNullable<AgentCall["subscribe"]>;

/** The agent's total: its static resources with checkpointed reservations and volumes carved out of them. */
export function agentTotal(staticResources: Resource[], checkpointed: Resource[]): Resource[] {
  const base = staticResources.map(normalizeResource);
  if (checkpointed.length === 0) return addResources(base, []); // the usual agent: nothing carved out (merged, empties dropped)
  const carved = checkpointed.map(normalizeResource);
  const unreservedEquivalent = carved.map(({ role: _role, reservation: _reservation, disk, ...r }) => ({
    ...r,
    role: "*",
    disk: disk?.source ? { source: disk.source } : undefined,
  }));
  return addResources(subtractResources(base, unreservedEquivalent), carved);
}

/**
 * What each framework+role holds on an agent, for the allocator. The lists are only concatenated: the
 * allocator merges repeated kinds when it reads them, and merging here (one addResources per task)
 * was the costliest step of a re-registration with many tasks.
 */
function usedByFramework(tasks: TaskRecord[]) {
  // By framework, then role: the records share their id and role strings, so no key is built per task.
  const used = new Map<string, Map<string, { frameworkId: string; role: string; resources: Resource[] }>>();
  const entries: Array<{ frameworkId: string; role: string; resources: Resource[] }> = [];
  for (const t of tasks) {
    if (t.released || isTerminalState(t.state) || t.state === "TASK_UNREACHABLE") continue;
    let roles = used.get(t.frameworkId);
    if (!roles) used.set(t.frameworkId, (roles = new Map()));
    let entry = roles.get(t.role);
    if (!entry) {
      entry = { frameworkId: t.frameworkId, role: t.role, resources: [] };
      roles.set(t.role, entry);
      entries.push(entry);
    }
    for (const r of t.resources) entry.resources.push(r);
  }
  return entries;
}

/** What follows the agent id in SUBSCRIBED, per master, with the pid it was built for (setPort changes it). */
const subscribedTails = new WeakMap<MasterInfo, { pid: string | undefined; text: string }>();

/**
 * The SUBSCRIBED event as text (`toMesosJson` of the event, byte for byte): only the agent id differs
 * from one agent to the next, and after a failover 10,000 of them are written in a few seconds.
 */
export function subscribedJson(ctx: MasterContext, agentId: string): string {
  let tail = subscribedTails.get(ctx.masterInfo);
  if (tail?.pid !== ctx.masterInfo.pid) {
    // `"master_info":…,"ping_interval_seconds":N}`: the object without its opening brace.
    tail = { pid: ctx.masterInfo.pid, text: toMesosJson({ master_info: ctx.masterInfo, ping_interval_seconds: ctx.config.agent_ping_timeout }).slice(1) };
    subscribedTails.set(ctx.masterInfo, tail);
  }
  return `{"type":"SUBSCRIBED","subscribed":{"agent_id":${toMesosJson({ value: agentId })},${tail!.text}}`;
}

/**
 * Handles an agent's SUBSCRIBE (its tasks as `reported`, its FrameworkInfos from `frameworks` when
 * they were left in the call's body); returns a reason to shut the agent down instead, if any.
 */
export async function subscribeAgent(
  ctx: MasterContext,
  sub: Subscribe,
  reported: ReportedTask[],
  stream: EventStream,
  streamId: string,
  frameworks: () => FrameworkInfo[],
): Promise<AgentRecord | { shutdown: string }> {
  const requestedId = sub.agent_info.id?.value;
  if (requestedId && ctx.goneAgents.has(requestedId)) return { shutdown: "Agent has been marked gone by an operator" };
  const previous = requestedId ? ctx.agents.get(requestedId) : undefined;
  const id = requestedId ?? ctx.ids.agent();
  const port = sub.agent_info.port;
  const info = { ...sub.agent_info, id: { value: id } };
  // After a failover the registry, not this master's memory, knows whether it was deactivated or draining.
  const stored = previous ? undefined : ctx.deps.registry.agent(id);
  const resumedDrain = stored?.state === "ADMITTED" && stored.drain ? { state: "DRAINING" as const, ...stored.drain } : undefined;
  const deactivated = previous?.deactivated ?? (stored?.state === "ADMITTED" ? stored.deactivated : undefined);
  const drain = previous?.drain ?? resumedDrain;
  await ctx.deps.registry.putAgent({
    id,
    info,
    state: "ADMITTED",
    deactivated,
    drain: persistedDrain(drain),
  });
  if (previous?.stream && previous.stream !== stream) previous.stream.end();

  const wasInAllocator = previous !== undefined && (previous.state === "REGISTERED" || previous.state === "DISCONNECTED");
  const agent: AgentRecord = previous ?? { ...newAgentRecord(id, info, sub.ip, port, ctx.now()), version: sub.version ?? "" };
  const returning = previous !== undefined || ctx.recoveredAgents.has(id);
  agent.info = info;
  agent.ip = sub.ip;
  agent.pid = `slave(1)@${sub.ip}:${port}`;
  agent.checkpointed = sub.checkpointed_resources.map(normalizeResource);
  agent.total = agentTotal(sub.agent_info.resources, sub.checkpointed_resources);
  agent.capabilities = sub.capabilities.map((c) => c.type);
  agent.containerizers = sub.containerizers;
  agent.version = sub.version ?? agent.version;
  agent.stream = stream;
  agent.streamId = streamId;
  agent.missedPings = 0;
  const wasUnreachable = agent.state === "UNREACHABLE";
  agent.state = "REGISTERED";
  if (returning) agent.reregisteredTime = ctx.now();
  if (resumedDrain) {
    agent.deactivated = true;
    agent.drain = resumedDrain;
  } else if (deactivated && !previous) agent.deactivated = true;
  ctx.agents.set(id, agent);
  ctx.recoveredAgents.delete(id);

  const { resurrected, tasks } = reconcileAgentTasks(ctx, agent, frameworks, reported);
  if (wasInAllocator) {
    ctx.allocator.updateAgentTotal(id, agent.total);
    ctx.allocator.activateAgent(id);
  } else {
    ctx.allocator.addAgent(
      { id, hostname: info.hostname, total: agent.total, attributes: info.attributes, capabilities: agent.capabilities },
      usedByFramework(tasks),
    );
  }
  if (agent.deactivated) ctx.allocator.deactivateAgent(id);

  stream.sendRaw(subscribedJson(ctx, id));
  stream.onClose(() => disconnectAgent(ctx, agent, stream));
  for (const { fw, task } of resurrected) {
    const status = task.statuses.at(-1);
    if (status) sendToFramework(fw, { type: "UPDATE", update: { status: { ...status, uuid: undefined, source: "SOURCE_MASTER", reason: "REASON_AGENT_REREGISTERED" } } });
  }
  if (resumedDrain) startDrain(ctx, agent);
  ctx.count(returning ? "master/slave_reregistrations" : "master/slave_registrations");
  // Built only for listeners: after a failover this runs for every agent of the cluster.
  if (ctx.bus.size > 0) ctx.bus.publish({ type: "AGENT_ADDED", agent_added: { agent: v1Agent(ctx, agent) } });
  ctx.log.info({ agentId: id, hostname: info.hostname, returning, wasUnreachable, tasks: reported.length }, "agent subscribed");
  ctx.requestAgentAllocation();
  return agent;
}

/**
 * Merges the tasks an agent reports with what the master knows; returns the agent's tasks and those
 * that came back from unreachable.
 */
function reconcileAgentTasks(
  ctx: MasterContext,
  agent: AgentRecord,
  frameworks: () => FrameworkInfo[],
  reported: ReportedTask[],
): { tasks: TaskRecord[]; resurrected: Array<{ fw: FrameworkRecord; task: TaskRecord }> } {
  // An agent this master has not seen since it started (every agent after a failover) has no tasks
  // here that it could have failed to report, and its tasks are the reported ones.
  const knewTasks = agent.tasks.size > 0;
  const reportedKeys = new Set<string>();
  const tasks: TaskRecord[] = [];
  const resurrected: Array<{ fw: FrameworkRecord; task: TaskRecord }> = [];
  for (const t of reported) {
    const fid = t.frameworkId;
    const tid = t.taskId;
    let fw = ctx.frameworks.get(fid);
    // A completed framework is no longer among the frameworks (and cannot come back under its id).
    if (!fw && ctx.completedFrameworks.some((f) => f.id === fid)) {
      if (knewTasks) reportedKeys.add(taskKey(fid, tid));
      agent.stream?.send({ type: "SHUTDOWN_FRAMEWORK", shutdown_framework: { framework_id: { value: fid } } });
      continue;
    }
    if (!fw) {
      const fwInfo = frameworks().find((f) => f.id?.value === fid) ?? { user: "root", name: fid, id: { value: fid }, failover_timeout: 0, checkpoint: true, roles: [], capabilities: [] };
      fw = recoverFramework(ctx, fwInfo);
    }
    // Keys and records hold the framework's own id string, not one copy per task.
    const key = taskKey(fw.id, tid);
    if (knewTasks) reportedKeys.add(key);
    const known = fw.tasks.get(tid) ?? fw.unreachableTasks.get(tid);
    if (known) {
      if (fw.unreachableTasks.delete(tid)) {
        fw.tasks.set(tid, known);
        if (!isTerminalState(t.state)) resurrected.push({ fw, task: known });
      }
      if (!agent.tasks.has(key)) tasks.push(known);
      agent.tasks.add(key);
      known.revision++;
      known.state = t.state;
      known.released = isTerminalState(t.state);
      known.unreachableTime = undefined;
      const latest = taskDetails(t).latest_status;
      if (latest) known.statuses = [...known.statuses.filter((s) => s.state !== t.state), latest];
    } else {
      const task = reportedTaskRecord(t, fw.id, agent.id, t.allocationRole ?? fw.roles[0] ?? "*");
      fw.tasks.set(tid, task);
      const before = agent.tasks.size;
      agent.tasks.add(key);
      if (agent.tasks.size > before) tasks.push(task); // (an agent may report a task twice)
      // Built only for listeners: after a failover this runs for every task of the cluster.
      if (ctx.bus.size > 0) ctx.bus.publish({ type: "TASK_ADDED", task_added: { task: v1Task(task) } });
    }
  }
  if (!knewTasks) return { tasks, resurrected };
  // Tasks the master sent to this agent that the agent does not know: they never started.
  for (const key of [...agent.tasks]) {
    if (reportedKeys.has(key)) continue;
    const slash = key.indexOf("/");
    const fw = ctx.frameworks.get(key.slice(0, slash));
    const task = fw?.tasks.get(key.slice(slash + 1)) ?? fw?.unreachableTasks.get(key.slice(slash + 1));
    if (!fw || !task || isTerminalState(task.state)) continue;
    const aware = hasCapability(fw.info, "PARTITION_AWARE");
    masterUpdate(ctx, fw, task, aware ? "TASK_DROPPED" : "TASK_LOST", "REASON_AGENT_REREGISTERED", "Task not found on the agent after it re-registered");
  }
  return { tasks: agentTasks(ctx, agent), resurrected };
}

function disconnectAgent(ctx: MasterContext, agent: AgentRecord, stream: EventStream): void {
  if (agent.stream !== stream || agent.state !== "REGISTERED") return;
  agent.stream = undefined;
  agent.streamId = undefined;
  agent.state = "DISCONNECTED";
  ctx.allocator.deactivateAgent(agent.id);
  rescindAgentOffers(ctx, agent.id);
  ctx.log.warn({ agentId: agent.id }, "agent disconnected");
}

/**
 * One liveness round over the agents in `slice` of `slices`: PING connected agents; agents that missed too many
 * become unreachable. Called `slices` times per ping interval so that each agent is still pinged once per
 * interval but the cluster's PONGs arrive spread out, as with Mesos' per-agent timers, instead of in one burst
 * that delays every other call (a framework's first offer waited behind 1,000 PONGs).
 */
export function pingAgents(ctx: MasterContext, slice: number, slices: number): void {
  for (const agent of ctx.agents.values()) {
    if (agent.state !== "REGISTERED" && agent.state !== "DISCONNECTED") continue;
    if (pingSlot(agent.id, slices) !== slice) continue;
    if (agent.missedPings >= ctx.config.max_agent_ping_timeouts) {
      void markUnreachable(ctx, agent);
      continue;
    }
    agent.missedPings++;
    agent.stream?.send({ type: "PING" });
  }
}

/** A stable slot in [0, slices) for an agent id (FNV-1a), so an agent keeps its place in the ping rounds. */
export function pingSlot(id: string, slices: number): number {
  return fnv1a32(id) % slices;
}

export function pong(agent: AgentRecord): void {
  agent.missedPings = 0;
}

/** Marks an agent unreachable: its tasks become TASK_UNREACHABLE (partition-aware) or TASK_LOST. */
export async function markUnreachable(ctx: MasterContext, agent: AgentRecord): Promise<void> {
  if (agent.state === "UNREACHABLE" || agent.state === "GONE") return;
  rescindAgentOffers(ctx, agent.id);
  agent.state = "UNREACHABLE";
  await ctx.deps.registry.putAgent({ id: agent.id, info: agent.info, state: "UNREACHABLE", since: ctx.now(), deactivated: agent.deactivated });
  removeFromCluster(ctx, agent, (fw) => (hasCapability(fw.info, "PARTITION_AWARE") ? "TASK_UNREACHABLE" : "TASK_LOST"), "REASON_AGENT_REMOVED", "Agent is unreachable");
  ctx.count("master/slave_unreachable_completed");
  ctx.log.warn({ agentId: agent.id }, "agent unreachable");
}

/** Marks an agent gone for good (MARK_AGENT_GONE, or a drain with mark_gone). */
export async function markGone(ctx: MasterContext, agent: AgentRecord): Promise<void> {
  if (agent.state === "GONE") return;
  const wasUnreachable = agent.state === "UNREACHABLE";
  rescindAgentOffers(ctx, agent.id);
  agent.state = "GONE";
  ctx.goneAgents.add(agent.id);
  await ctx.deps.registry.putAgent({ id: agent.id, info: agent.info, state: "GONE", since: ctx.now() });
  agent.stream?.send({ type: "SHUTDOWN", shutdown: { message: "Agent has been marked gone by an operator" } });
  removeFromCluster(ctx, agent, (fw) => (hasCapability(fw.info, "PARTITION_AWARE") ? "TASK_GONE_BY_OPERATOR" : "TASK_LOST"), "REASON_AGENT_REMOVED_BY_OPERATOR", "Agent was marked gone", wasUnreachable);
  ctx.agents.delete(agent.id);
}

function removeFromCluster(
  ctx: MasterContext,
  agent: AgentRecord,
  stateFor: (fw: FrameworkRecord) => "TASK_UNREACHABLE" | "TASK_LOST" | "TASK_GONE_BY_OPERATOR",
  reason: "REASON_AGENT_REMOVED" | "REASON_AGENT_REMOVED_BY_OPERATOR",
  message: string,
  alreadyRemoved = false,
): void {
  if (!alreadyRemoved) ctx.allocator.removeAgent(agent.id);
  const unreachableNs = ctx.now() * 1e6;
  for (const key of [...agent.tasks]) {
    const slash = key.indexOf("/");
    const fw = ctx.frameworks.get(key.slice(0, slash));
    const tid = key.slice(slash + 1);
    const task = fw?.tasks.get(tid) ?? fw?.unreachableTasks.get(tid);
    if (!fw || !task) continue;
    task.released = true;
    if (isTerminalState(task.state)) continue;
    const state = stateFor(fw);
    if (state === "TASK_UNREACHABLE") {
      task.unreachableTime = unreachableNs;
      fw.tasks.delete(tid);
      fw.unreachableTasks.set(tid, task);
      masterUpdate(ctx, fw, task, state, reason, message, { unreachable_time: { nanoseconds: unreachableNs } });
    } else {
      masterUpdate(ctx, fw, task, state, reason, message);
    }
  }
  for (const fw of ctx.frameworks.values()) sendToFramework(fw, { type: "FAILURE", failure: { agent_id: { value: agent.id } } });
  if (agent.stream && !agent.stream.closed) agent.stream.end();
  agent.stream = undefined;
  ctx.bus.publish({ type: "AGENT_REMOVED", agent_removed: { agent_id: { value: agent.id } } });
}
