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
import { isTerminalState, normalizeResource, TaskInfo, type AgentTask, type Resource, type TaskState, type TaskStatus } from "@caravel/api";
import { sameJson } from "./same-json.js";
import type { TaskRecord } from "./types.js";

/** A task's TaskInfo and the newest status its agent holds. */
export interface TaskDetails {
  info: TaskInfo;
  latest_status?: TaskStatus;
}

/**
 * A call's text, kept for its tasks' details until one of them is first read: then the call is
 * parsed again (`read` gives the details of its tasks, in order), once for all of them, and each
 * task takes its own. Until then it waits in its master's UnreadCalls. The text is kept as the
 * request's body, a Buffer: off the JavaScript heap, where the garbage collector would copy 100 MB
 * of strings after a failover at 10,000 agents.
 */
export class CallText {
  #text: Buffer | string | undefined;
  #details: Array<TaskDetails | undefined> | undefined;
  #untaken = 0;

  constructor(
    text: Buffer | string,
    private readonly read: (text: Buffer | string) => TaskDetails[],
    private readonly unread: UnreadCalls,
  ) {
    this.#text = text;
    unread.add(this);
  }

  /** Parses the text (once). */
  parse(): void {
    if (this.#text !== undefined) this.prepared(this.read(this.#text));
  }

  /** The text, while it is not parsed. */
  get text(): Buffer | string | undefined {
    return this.#text;
  }

  /** Takes the details parsed from this text (here or by the worker), unless it was parsed meanwhile. */
  prepared(details: TaskDetails[]): void {
    if (this.#text === undefined) return;
    this.unread.delete(this);
    this.#details = details;
    this.#untaken = details.length;
    this.#text = undefined;
  }

  /** Hands over the details of the task at `index` (each task takes its own once). */
  take(index: number): TaskDetails {
    this.parse();
    const details = this.#details![index]!;
    this.#details![index] = undefined;
    // Once every task has its own, the call keeps nothing (a finished task's details go with it).
    if (--this.#untaken === 0) this.#details = undefined;
    return details;
  }
}

const QUIET_MS = 1000;
const MAX_DEFER_MS = 10_000;
const SLICE_MS = 10;
const PAUSE_MS = 10;

/**
 * One master's calls whose texts nobody has read yet. They are parsed in the background once agents
 * have stopped coming in for QUIET_MS (or MAX_DEFER_MS after the first at most), so that the first
 * `/master/state` after a failover does not parse them all: by `elsewhere` (the worker, which answers
 * through CallText.prepared) when it takes them, else here, SLICE_MS of work every PAUSE_MS.
 */
export class UnreadCalls {
  readonly #calls = new Set<CallText>();
  #first: number | undefined;
  #last = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  /** `elsewhere` takes the calls (true), or leaves them to this thread (false). */
  constructor(private readonly elsewhere?: (calls: ReadonlySet<CallText>) => boolean) {}

  add(call: CallText): void {
    if (this.#closed) return;
    this.#calls.add(call);
    this.#last = performance.now();
    this.#first ??= this.#last;
    this.#timer ??= setTimeout(this.#slice, QUIET_MS).unref();
  }

  delete(call: CallText): void {
    this.#calls.delete(call);
  }

  /** Stops parsing in the background for good (the master closes; its tasks still parse their own when read). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = this.#first = undefined;
    this.#calls.clear();
  }

  readonly #slice = (): void => {
    const now = performance.now();
    const wait = Math.min(QUIET_MS - (now - this.#last), MAX_DEFER_MS - (now - this.#first!));
    if (wait > 0) {
      this.#timer = setTimeout(this.#slice, wait).unref();
      return;
    }
    if (this.elsewhere?.(this.#calls)) {
      this.#calls.clear();
      this.#timer = this.#first = undefined;
      return;
    }
    for (const call of this.#calls) {
      if (performance.now() - now >= SLICE_MS) break;
      try {
        call.parse();
      } catch {
        this.#calls.delete(call); // validated once already: a text that no longer parses is read (and fails) when asked for
      }
    }
    this.#timer = this.#calls.size > 0 ? setTimeout(this.#slice, PAUSE_MS).unref() : undefined;
    if (!this.#timer) this.#first = undefined;
  };
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

/** What re-registration reads of a reported task at once: all but its details. */
export type TaskSummary = Omit<ReportedTask, "details">;

/**
 * Reads what re-registration needs of a SUBSCRIBE's tasks: of the schema's output, or (`raw`) of
 * tasks that quickAccept accepted and the schema has not parsed, of which only the resource lists
 * are parsed here (once per distinct list).
 */
export function summarizeTasks(tasks: AgentTask[], raw = false): TaskSummary[] {
  const given: unknown[] = [];
  const lists: Array<{ resources: Resource[]; allocationRole?: string }> = [];
  return tasks.map((t) => {
    let list = given.findIndex((resources) => sameJson(resources, t.info.resources));
    if (list === -1) {
      const parsed = raw ? TaskInfo.shape.resources.parse(t.info.resources) : t.info.resources;
      const allocationRole = parsed.find((r) => r.allocation_info?.role)?.allocation_info?.role;
      list = given.push(t.info.resources) - 1;
      lists.push({ resources: parsed.map(normalizeResource), allocationRole });
    }
    return {
      frameworkId: t.framework_id.value,
      taskId: t.info.task_id.value,
      state: t.state,
      executorId: t.executor_id?.value,
      latestState: t.latest_status?.state,
      pendingUuid: t.pending_uuid,
      ...lists[list]!,
    };
  });
}

/** Reads the tasks of a SUBSCRIBE (the schema's output), with their details as objects. */
export function reportTasks(tasks: AgentTask[]): ReportedTask[] {
  return summarizeTasks(tasks).map((summary, index) => {
    const { info, latest_status } = tasks[index]!;
    return { ...summary, details: { info: { ...info, resources: summary.resources }, latest_status } };
  });
}

const isParsed = (details: TaskDetails | DeferredDetails): details is TaskDetails => "info" in details;

/** A reported task's details, parsed if they are not yet. */
export function taskDetails(task: ReportedTask): TaskDetails {
  return isParsed(task.details) ? task.details : task.details.call.take(task.details.index);
}

/**
 * The record of a task first heard of from its agent, its resources allocated to `role`. The ids
 * given are the framework's and agent's own strings (one per framework, not one per task).
 */
export function reportedTaskRecord(task: ReportedTask, frameworkId: string, agentId: string, role: string): TaskRecord {
  return new ReportedTaskRecord(task, frameworkId, agentId, role);
}

/** A reported task's record; a TaskInfo and status left in their call's body are read when first asked for. */
class ReportedTaskRecord implements TaskRecord {
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

  constructor(task: ReportedTask, frameworkId: string, agentId: string, role: string) {
    this.frameworkId = frameworkId;
    this.agentId = agentId;
    this.role = role;
    this.executorId = task.executorId;
    this.state = task.state;
    this.statusUpdateUuid = task.pendingUuid;
    this.statusUpdateState = task.pendingUuid ? task.latestState : undefined;
    this.released = isTerminalState(task.state);
    this.resources = task.resources;
    const { details } = task;
    this.#details = isParsed(details) ? { info: details.info, statuses: details.latest_status ? [details.latest_status] : [] } : details;
  }

  private parsed(): { info: TaskInfo; statuses: TaskStatus[] } {
    const source = this.#details;
    if ("call" in source) {
      const { info, latest_status } = source.call.take(source.index);
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
