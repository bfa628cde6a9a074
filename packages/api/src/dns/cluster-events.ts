/**
 * Applies one operator event (`POST /api/v1` SUBSCRIBE stream, mesos-core.md §4.2) to a ClusterView,
 * returning a new view (maps are copied only when they change). Terminal tasks are dropped: names and
 * VIPs come from running tasks only, and the view must not grow without bound.
 */
import { isTerminalState, type TaskState } from "../mesos/task.js";
import {
  agentViewOf,
  clusterViewFromGetState,
  frameworkViewOf,
  idOf,
  isIp,
  labelsOf,
  numOr,
  obj,
  arr,
  str,
  taskViewOf,
  type ClusterView,
  type TaskView,
} from "./cluster.js";

function updateTask(task: TaskView, status: Record<string, unknown>, state: string): TaskView {
  let next: TaskView = { ...task, state };
  if (typeof status["healthy"] === "boolean") next = { ...next, healthy: status["healthy"] };
  if (state === "TASK_RUNNING") {
    const ips = arr(obj(status["container_status"])["network_infos"])
      .flatMap((n) => arr(obj(n)["ip_addresses"]).map((a) => str(obj(a)["ip_address"])))
      .filter(isIp);
    if (ips.length) next = { ...next, netinfoIps: ips };
    const labels = labelsOf(status["labels"]);
    const docker = labels.find((l) => l.key === "Docker.NetworkSettings.IPAddress")?.value;
    const mesos = labels.find((l) => l.key === "MesosContainerizer.NetworkSettings.IPAddress")?.value;
    if (docker) next = { ...next, dockerIp: docker };
    if (mesos) next = { ...next, mesosIp: mesos };
  }
  return next;
}

const terminal = (state: string): boolean => isTerminalState(state as TaskState);

/** The view after `event`; unknown event types and events about unknown objects leave it unchanged. */
export function applyOperatorEvent(view: ClusterView, event: unknown): ClusterView {
  const e = obj(event);
  switch (e["type"]) {
    case "SUBSCRIBED":
      return clusterViewFromGetState(obj(e["subscribed"])["get_state"], view.leader);
    case "TASK_ADDED": {
      const task = taskViewOf(obj(e["task_added"])["task"]);
      if (!task || terminal(task.state)) return view;
      return { ...view, tasks: new Map(view.tasks).set(task.id, task) };
    }
    case "TASK_UPDATED": {
      const u = obj(e["task_updated"]);
      const status = obj(u["status"]);
      const id = idOf(status["task_id"]);
      const state = str(u["state"]) || str(status["state"]);
      const task = view.tasks.get(id);
      if (!task) return view;
      const tasks = new Map(view.tasks);
      if (terminal(state)) tasks.delete(id);
      else tasks.set(id, updateTask(task, status, state));
      return { ...view, tasks };
    }
    case "AGENT_ADDED": {
      const agent = agentViewOf(obj(e["agent_added"])["agent"]);
      return agent ? { ...view, agents: new Map(view.agents).set(agent.id, agent) } : view;
    }
    case "AGENT_REMOVED": {
      const id = idOf(obj(e["agent_removed"])["agent_id"]);
      if (!view.agents.has(id)) return view;
      const agents = new Map(view.agents);
      agents.delete(id);
      return { ...view, agents };
    }
    case "FRAMEWORK_ADDED":
    case "FRAMEWORK_UPDATED": {
      const body = obj(e["framework_added"] ?? e["framework_updated"]);
      const framework = frameworkViewOf(body["framework"]);
      return framework ? { ...view, frameworks: new Map(view.frameworks).set(framework.id, framework) } : view;
    }
    case "FRAMEWORK_REMOVED": {
      const id = idOf(obj(obj(e["framework_removed"])["framework_info"])["id"]);
      if (!view.frameworks.has(id)) return view;
      const frameworks = new Map(view.frameworks);
      frameworks.delete(id);
      const tasks = new Map([...view.tasks].filter(([, t]) => t.frameworkId !== id));
      return { ...view, frameworks, tasks };
    }
    default:
      return view;
  }
}

/** Timestamp helper for callers measuring propagation: the status timestamp in ms, if present. */
export const statusTimestampMs = (event: unknown): number | undefined => {
  const ts = numOr(obj(obj(obj(event)["task_updated"])["status"])["timestamp"]);
  return ts === undefined ? undefined : ts * 1000;
};

/**
 * Task ids an operator event can have changed (TASK_ADDED, TASK_UPDATED), [] for HEARTBEAT, and
 * `undefined` for anything else (a snapshot, agents, frameworks): then everything may have changed.
 * Lets DNS and L4LB look at the touched tasks alone instead of diffing every task.
 */
export function touchedTaskIds(event: unknown): string[] | undefined {
  const e = obj(event);
  const one = (id: string): string[] | undefined => (id ? [id] : undefined);
  switch (e["type"]) {
    case "HEARTBEAT":
      return [];
    case "TASK_ADDED":
      return one(idOf(obj(obj(e["task_added"])["task"])["task_id"]));
    case "TASK_UPDATED":
      return one(idOf(obj(obj(e["task_updated"])["status"])["task_id"]));
    default:
      return undefined;
  }
}
