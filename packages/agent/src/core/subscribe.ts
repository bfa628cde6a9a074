/** Builds the SUBSCRIBE call from the agent's picture: tasks with their newest status, frameworks, volumes. */
import type { AgentInfo, AgentTask, Attribute, FrameworkInfo, Resource, TaskStatus } from "@caravel/api";
import type { TaskRecord } from "./task-record.js";

export interface SubscribeInput {
  agentId?: string;
  hostname: string;
  port: number;
  ip: string;
  resources: Resource[];
  attributes: Attribute[];
  checkpointedResources: Resource[];
  frameworks: Iterable<FrameworkInfo>;
  /** Tasks not yet completed (running, or terminal with unacknowledged updates). */
  tasks: Iterable<{ record: TaskRecord; pending: readonly TaskStatus[] }>;
  completed: Iterable<TaskRecord>;
  containerizers: string[];
  version: string;
}

function agentTask(record: TaskRecord, pending: readonly TaskStatus[]): AgentTask {
  const t: AgentTask = {
    framework_id: { value: record.frameworkId },
    info: record.info,
    executor_id: { value: record.executorId },
    state: record.state,
  };
  if (record.latestStatus) t.latest_status = record.latestStatus;
  const head = pending[0]?.uuid;
  if (head) t.pending_uuid = head;
  return t;
}

/** The SUBSCRIBE call (packages/api AgentCall; typed loosely because the full type is too deep to check). */
export function subscribeCall(input: SubscribeInput): { type: "SUBSCRIBE"; agent_id?: { value: string }; subscribe: Record<string, unknown> } {
  const info: AgentInfo = { hostname: input.hostname, port: input.port, resources: input.resources, attributes: input.attributes };
  if (input.agentId) info.id = { value: input.agentId };
  const call: ReturnType<typeof subscribeCall> = {
    type: "SUBSCRIBE",
    subscribe: {
      agent_info: info,
      ip: input.ip,
      version: input.version,
      capabilities: [{ type: "MULTI_ROLE" }, { type: "HIERARCHICAL_ROLE" }, { type: "RESERVATION_REFINEMENT" }, { type: "TASK_RESOURCE_LIMITS" }],
      checkpointed_resources: input.checkpointedResources,
      frameworks: [...input.frameworks],
      tasks: [...input.tasks].map(({ record, pending }) => agentTask(record, pending)),
      completed_tasks: [...input.completed].map((r) => agentTask(r, [])),
      containerizers: input.containerizers,
    },
  };
  if (input.agentId) call.agent_id = { value: input.agentId };
  return call;
}
