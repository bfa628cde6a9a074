/**
 * Tasks an agent reports when it (re-)subscribes, as the master reads them.
 *
 * After a failover every agent of the cluster reports its tasks within a second (100,000 tasks at
 * Mesos' benchmark size), and building each TaskInfo and status as objects on the master's thread,
 * and keeping them (the new leader's garbage collector copied every one of them), was the largest
 * part of its work. What re-registration needs (ids, states, resources) is read at once; a task's
 * TaskInfo and latest status stay in the text of the call they came in, parsed again (once for all
 * the call's tasks) when one of them is first read.
 */
import { isTerminalState, normalizeResource, type AgentTask, type Resource, type TaskInfo, type TaskState, type TaskStatus } from "@caravel/api";
import { sameJson } from "./same-json.js";
import type { TaskRecord } from "./types.js";

/** A task's TaskInfo and the newest status its agent holds. */
export interface TaskDetails {
  info: TaskInfo;
  latest_status?: TaskStatus;
}

/**
 * A call's text, kept for its tasks' details until one of them is first read: then the call is
 * parsed again (`read` gives the details of its tasks, in order), once for all of them. Texts nobody
 * reads are parsed in the background once agents have stopped coming in for a while, a few
 * milliseconds at a time, so that the first `/master/state` after a failover does not parse them all.
 */
export class CallText {
  #text: string | undefined;
  #details: TaskDetails[] | undefined;

  constructor(
    text: string,
    private readonly read: (text: string) => TaskDetails[],
  ) {
    this.#text = text;
    unread.push(this);
    lastDeferredAt = performance.now();
    warming ??= setTimeout(warmSlice, QUIET_MS).unref();
  }

  details(index: number): TaskDetails {
    if (!this.#details) {
      this.#details = this.read(this.#text!);
      this.#text = undefined;
    }
    return this.#details[index]!;
  }
}

/** Background parsing of unread calls: after QUIET_MS without new ones, SLICE_MS of work every PAUSE_MS. */
const QUIET_MS = 1000;
const SLICE_MS = 10;
const PAUSE_MS = 10;
let unread: CallText[] = [];
let lastDeferredAt = 0;
let warming: NodeJS.Timeout | undefined;

function warmSlice(): void {
  const quietFor = performance.now() - lastDeferredAt;
  if (quietFor < QUIET_MS) {
    warming = setTimeout(warmSlice, QUIET_MS - quietFor).unref();
    return;
  }
  const started = performance.now();
  while (unread.length > 0 && performance.now() - started < SLICE_MS) unread.pop()!.details(0);
  warming = unread.length > 0 ? setTimeout(warmSlice, PAUSE_MS).unref() : undefined;
  if (!warming) unread = [];
}

/** Details not read yet: the call's text they are in, and the task's place in the call. */
export interface DeferredDetails {
  call: CallText;
  index: number;
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
  /** The task's resources, normalized (as in its TaskInfo); alike lists of one call are one array. */
  resources: Resource[];
  details: TaskDetails | DeferredDetails;
}

/** Reads the tasks of a SUBSCRIBE; their details are left in `call` when given. */
export function reportTasks(tasks: AgentTask[], call?: CallText): ReportedTask[] {
  const resourceLists: Resource[][] = [];
  return tasks.map((t, index) => {
    const normalized = t.info.resources.map(normalizeResource);
    let resources = resourceLists.find((list) => sameJson(list, normalized));
    if (!resources) resourceLists.push((resources = normalized));
    return {
      frameworkId: t.framework_id.value,
      taskId: t.info.task_id.value,
      state: t.state,
      executorId: t.executor_id?.value,
      latestState: t.latest_status?.state,
      pendingUuid: t.pending_uuid,
      allocationRole: t.info.resources.find((r) => r.allocation_info?.role)?.allocation_info?.role,
      resources,
      details: call ? { call, index } : { info: { ...t.info, resources: normalized }, latest_status: t.latest_status },
    };
  });
}

const isParsed = (details: TaskDetails | DeferredDetails): details is TaskDetails => "info" in details;

/** A reported task's details, parsed if they are not yet. */
export function taskDetails(task: ReportedTask): TaskDetails {
  return isParsed(task.details) ? task.details : task.details.call.details(task.details.index);
}

/**
 * The record of a task first heard of from its agent, its resources allocated to `role`. The ids
 * given are the framework's and agent's own strings (one per framework, not one per task).
 */
export function reportedTaskRecord(task: ReportedTask, frameworkId: string, agentId: string, role: string): TaskRecord {
  if (!isParsed(task.details)) return new TaskWithDeferredDetails(task, frameworkId, agentId, role, task.details);
  const { info, latest_status } = task.details;
  return {
    frameworkId,
    agentId,
    role,
    executorId: task.executorId,
    state: task.state,
    released: isTerminalState(task.state),
    revision: 0,
    statusUpdateUuid: task.pendingUuid,
    statusUpdateState: task.pendingUuid ? task.latestState : undefined,
    info,
    resources: task.resources,
    statuses: latest_status ? [latest_status] : [],
  };
}

/** A task record whose TaskInfo and statuses are read from their text when first asked for. */
class TaskWithDeferredDetails implements TaskRecord {
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
  #details: DeferredDetails | { info: TaskInfo; statuses: TaskStatus[] };

  constructor(task: ReportedTask, frameworkId: string, agentId: string, role: string, details: DeferredDetails) {
    this.frameworkId = frameworkId;
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
    const source = this.#details;
    if ("call" in source) {
      const { info, latest_status } = source.call.details(source.index);
      this.#details = { info, statuses: latest_status ? [latest_status] : [] };
    }
    return this.#details as { info: TaskInfo; statuses: TaskStatus[] };
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
