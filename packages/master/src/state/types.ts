/** The master's in-memory picture of the cluster. Frameworks and tasks are rebuilt from agents and schedulers after a restart; agents, maintenance, quota and weights are durable (registry.ts). */
import { frameworkRoles, type AgentInfo, type FrameworkInfo, type Resource, type TaskInfo, type TaskState, type TaskStatus } from "@caravel/api";
import type { EventStream } from "./stream.js";

export interface TaskRecord {
  frameworkId: string;
  agentId: string;
  info: TaskInfo;
  /**
   * The TaskInfo's resources, normalized, for accounting: the info of a task re-registered after a
   * failover may not be parsed yet (reported-task.ts).
   */
  resources: Resource[];
  /** Role the task's resources were allocated to. */
  role: string;
  /** Executor of a task group (LAUNCH_GROUP); absent for command tasks. */
  executorId?: string;
  /** Latest known state (may be ahead of the update being delivered). */
  state: TaskState;
  /** One status per distinct state, the latest of each, in arrival order. */
  statuses: TaskStatus[];
  /** The update currently being delivered to the framework, if it carried a uuid. */
  statusUpdateState?: TaskState;
  statusUpdateUuid?: string;
  /** Whether the task's resources have already been given back to the allocator. */
  released: boolean;
  /** When the task became unreachable (ns since epoch). */
  unreachableTime?: number;
  /** Bumped on every change, so that views can cache the task's JSON. */
  revision: number;
}

export interface OfferRecord {
  id: string;
  frameworkId: string;
  agentId: string;
  role: string;
  resources: Resource[];
  createdAt: number;
  timer?: NodeJS.Timeout;
}

export interface FrameworkRecord {
  id: string;
  info: FrameworkInfo;
  roles: string[];
  /** Subscribed with a live stream. */
  connected: boolean;
  /** Known from an agent's re-registration but its scheduler has not subscribed to this master yet. */
  recovered: boolean;
  stream?: EventStream;
  streamId?: string;
  registeredTime: number;
  reregisteredTime?: number;
  unregisteredTime?: number;
  suppressedRoles: Set<string>;
  offers: Map<string, OfferRecord>;
  tasks: Map<string, TaskRecord>;
  unreachableTasks: Map<string, TaskRecord>;
  completedTasks: TaskRecord[];
  failoverTimer?: NodeJS.Timeout;
  /** Task-group executors per agent (executor id → agent id). */
  executors: Map<string, { agentId: string; info: unknown }>;
}

export type AgentState = "REGISTERED" | "DISCONNECTED" | "UNREACHABLE" | "GONE";

export interface AgentRecord {
  id: string;
  info: AgentInfo;
  ip: string;
  pid: string;
  state: AgentState;
  /** Operator-deactivated or draining: no offers. */
  deactivated: boolean;
  drain?: {
    state: "DRAINING" | "DRAINED";
    maxGracePeriodSeconds?: number;
    markGone: boolean;
    /** Frameworks the drain still waits for before killing their tasks (core/drain.ts); not durable. */
    waiting?: Map<string, { offerId: string; timer: NodeJS.Timeout }>;
  };
  /** Everything the agent has, including dynamic reservations and volumes. */
  total: Resource[];
  /** Dynamic reservations and persistent volumes, checkpointed on the agent. */
  checkpointed: Resource[];
  capabilities: string[];
  containerizers: string[];
  version: string;
  stream?: EventStream;
  streamId?: string;
  registeredTime: number;
  reregisteredTime?: number;
  /** Pings sent without a PONG since. */
  missedPings: number;
  /** Task keys (`frameworkId/taskId`) on this agent. */
  tasks: Set<string>;
}

export const taskKey = (frameworkId: string, taskId: string): string => `${frameworkId}/${taskId}`;

/** A registered agent with no resources or tasks yet; registration fills in the rest. */
export function newAgentRecord(id: string, info: AgentInfo, ip: string, port: number, nowMs: number): AgentRecord {
  return {
    id,
    info,
    ip,
    pid: `slave(1)@${ip}:${port}`,
    state: "REGISTERED",
    deactivated: false,
    total: [],
    checkpointed: [],
    capabilities: [],
    containerizers: [],
    version: "",
    registeredTime: nowMs,
    missedPings: 0,
    tasks: new Set(),
  };
}

/** A framework record with nothing attached yet (no stream, offers or tasks). */
export function newFrameworkRecord(id: string, info: FrameworkInfo, nowMs: number): FrameworkRecord {
  return {
    id,
    info: { ...info, id: { value: id } },
    roles: frameworkRoles(info),
    connected: false,
    recovered: false,
    registeredTime: nowMs,
    suppressedRoles: new Set(),
    offers: new Map(),
    tasks: new Map(),
    unreachableTasks: new Map(),
    completedTasks: [],
    executors: new Map(),
  };
}
