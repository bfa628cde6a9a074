/**
 * Builders for Mesos objects with valid defaults, so that a test states only what it cares about:
 * `builders.task({ name: "web", resources: "cpus:0.1;mem:32" })`.
 */
import { parseResources, type FrameworkInfo, type Offer, type Resource, type TaskInfo, type TaskState, type TaskStatus } from "@caravel/api";

let counter = 0;
/** A unique id with a readable prefix, e.g. `task-7`. */
export const uniqueId = (prefix: string): string => `${prefix}-${++counter}-${process.pid}`;

/** Resources from Mesos' text syntax ("cpus:1;mem:128;ports:[31000-31001]") or as given. */
export function resources(spec: string | readonly Resource[], role = "*"): Resource[] {
  return typeof spec === "string" ? parseResources(spec, role) : [...spec];
}

/** A FrameworkInfo for a test scheduler: user root, a unique name, no failover timeout. */
export function frameworkInfo(overrides: Partial<FrameworkInfo> = {}): FrameworkInfo {
  return {
    user: "root",
    name: uniqueId("test-framework"),
    failover_timeout: 0,
    checkpoint: false,
    roles: [],
    capabilities: [],
    ...overrides,
  };
}

export interface TaskOptions extends Partial<Omit<TaskInfo, "resources" | "task_id" | "agent_id">> {
  /** Task id as a string (default: unique). */
  id?: string;
  /** Agent id as a string; usually the offer's (see `taskFor`). */
  agentId?: string;
  /** Resources as text or a list (default "cpus:0.1;mem:32"). */
  resources?: string | readonly Resource[];
  /** Shell command (default "sleep 1000"). */
  cmd?: string;
}

/** A TaskInfo running a shell command with small resources. */
export function task(options: TaskOptions = {}): TaskInfo {
  const { id, agentId, resources: res, cmd, ...rest } = options;
  const taskId = id ?? uniqueId("task");
  return {
    name: taskId,
    task_id: { value: taskId },
    agent_id: { value: agentId ?? "unset-agent" },
    resources: resources(res ?? "cpus:0.1;mem:32"),
    command: { uris: [], shell: true, value: cmd ?? "sleep 1000", arguments: [] },
    ...rest,
  };
}

/** A TaskInfo placed on the agent of `offer`. */
export const taskFor = (offer: Pick<Offer, "agent_id">, options: TaskOptions = {}): TaskInfo =>
  task({ ...options, agentId: offer.agent_id.value });

/** An Offer as a master sends it, for pure-logic tests. */
export function offer(overrides: Partial<Offer> & { resources?: Resource[] | string } = {}): Offer {
  const { resources: res, ...rest } = overrides;
  return {
    id: { value: uniqueId("offer") },
    framework_id: { value: "framework-1" },
    agent_id: { value: "agent-1" },
    hostname: "127.0.0.1",
    resources: resources(res ?? "cpus:4;mem:4096;disk:10240;ports:[31000-32000]"),
    attributes: [],
    executor_ids: [],
    ...rest,
  };
}

/** A TaskStatus in `state` for `taskId`. */
export function taskStatus(taskId: string, state: TaskState, overrides: Partial<TaskStatus> = {}): TaskStatus {
  return { task_id: { value: taskId }, state, source: "SOURCE_AGENT", timestamp: Date.now() / 1000, ...overrides };
}

/** All builders under one name: `builders.task(...)`. */
export const builders = { resources, frameworkInfo, task, taskFor, offer, taskStatus, uniqueId };
