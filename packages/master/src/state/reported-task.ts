/**
 * Tasks an agent reports when it (re-)subscribes, as the master reads them.
 *
 * After a failover every agent of the cluster reports its tasks within a second (100,000 tasks at
 * Mesos' benchmark size), and building each TaskInfo and status as objects on the master's thread
 * was the largest part of its work. What re-registration needs (ids, states, resources) is read at
 * once; a task's TaskInfo and latest status may stay JSON text, parsed on first use, when the call
 * was parsed on the worker thread (http/agent-call.ts), which has the text at hand.
 */
import { isTerminalState, normalizeResource, type AgentTask, type Resource, type TaskInfo, type TaskState, type TaskStatus } from "@caravel/api";
import type { TaskRecord } from "./types.js";

/** A task's TaskInfo and the newest status its agent holds. */
export interface TaskDetails {
  info: TaskInfo;
  latest_status?: TaskStatus;
}

export interface ReportedTask {
  frameworkId: string;
  taskId: string;
  state: TaskState;
  executorId?: string;
  /** State of the newest status the agent holds. */
  latestState?: TaskState;
  /** The uuid of the update waiting for acknowledgement, if any. */
  pendingUuid?: string;
  /** The role the resources were allocated to, when they say. */
  allocationRole?: string;
  /** The task's resources, normalized (as in its TaskInfo). */
  resources: Resource[];
  /** TaskDetails, or their JSON text. */
  details: TaskDetails | string;
}

/** Reads the tasks of a SUBSCRIBE; `asText` keeps each one's details as JSON text. */
export function reportTasks(tasks: AgentTask[], asText = false): ReportedTask[] {
  return tasks.map((t) => {
    const resources = t.info.resources.map(normalizeResource);
    const details: TaskDetails = { info: { ...t.info, resources }, latest_status: t.latest_status };
    return {
      frameworkId: t.framework_id.value,
      taskId: t.info.task_id.value,
      state: t.state,
      executorId: t.executor_id?.value,
      latestState: t.latest_status?.state,
      pendingUuid: t.pending_uuid,
      allocationRole: t.info.resources.find((r) => r.allocation_info?.role)?.allocation_info?.role,
      resources,
      details: asText ? JSON.stringify(details) : details,
    };
  });
}

/** The newest status of a reported task (parses text details). */
export function latestStatus(task: ReportedTask): TaskStatus | undefined {
  return typeof task.details === "string" ? (JSON.parse(task.details) as TaskDetails).latest_status : task.details.latest_status;
}

/** The record of a task first heard of from its agent, its resources allocated to `role`. */
export function reportedTaskRecord(task: ReportedTask, agentId: string, role: string): TaskRecord {
  if (typeof task.details === "string") return new TaskWithTextDetails(task, agentId, role, task.details);
  const { info, latest_status } = task.details;
  return { ...recordFields(task, agentId, role), info, resources: task.resources, statuses: latest_status ? [latest_status] : [] };
}

function recordFields(task: ReportedTask, agentId: string, role: string) {
  return {
    frameworkId: task.frameworkId,
    agentId,
    role,
    executorId: task.executorId,
    state: task.state,
    released: isTerminalState(task.state),
    revision: 0,
    statusUpdateUuid: task.pendingUuid,
    statusUpdateState: task.pendingUuid ? task.latestState : undefined,
  };
}

/** A task record whose TaskInfo and statuses are parsed from their text when first read. */
class TaskWithTextDetails implements TaskRecord {
  frameworkId: string;
  agentId: string;
  role: string;
  executorId?: string;
  state: TaskState;
  statusUpdateState?: TaskState;
  statusUpdateUuid?: string;
  released: boolean;
  unreachableTime?: number;
  revision = 0;
  resources: Resource[];
  #details: string | { info: TaskInfo; statuses: TaskStatus[] };

  constructor(task: ReportedTask, agentId: string, role: string, details: string) {
    this.frameworkId = task.frameworkId;
    this.agentId = agentId;
    this.role = role;
    this.executorId = task.executorId;
    this.state = task.state;
    this.statusUpdateUuid = task.pendingUuid;
    this.statusUpdateState = task.pendingUuid ? task.latestState : undefined;
    this.released = isTerminalState(task.state);
    this.resources = task.resources;
    this.#details = details;
  }

  private parsed(): { info: TaskInfo; statuses: TaskStatus[] } {
    if (typeof this.#details === "string") {
      const { info, latest_status } = JSON.parse(this.#details) as TaskDetails;
      this.#details = { info, statuses: latest_status ? [latest_status] : [] };
    }
    return this.#details;
  }

  get info(): TaskInfo {
    return this.parsed().info;
  }

  set info(info: TaskInfo) {
    this.parsed().info = info;
  }

  get statuses(): TaskStatus[] {
    return this.parsed().statuses;
  }

  set statuses(statuses: TaskStatus[]) {
    this.parsed().statuses = statuses;
  }
}
