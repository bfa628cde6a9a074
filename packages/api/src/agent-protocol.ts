/**
 * Caravel's agent <-> master protocol (Mesos' own is libprocess, not HTTP).
 *
 *   agent                                       master
 *     | POST /internal/agent/v1  SUBSCRIBE  ---->  |  registers, or re-registers with its tasks
 *     | <---- 200 RecordIO stream: SUBSCRIBED, then commands (RUN_TASK, KILL_TASK, ACKNOWLEDGE, PING …)
 *     | POST /internal/agent/v1  UPDATE / PONG / UPDATE_RESOURCES  (header Mesos-Stream-Id) -> 202
 *
 * The agent dials the master and keeps one stream open. A closed stream marks the agent disconnected;
 * missing `max_agent_ping_timeouts` PINGs in a row marks it unreachable. After a master failover agents
 * re-subscribe with their id and running tasks, which is how a new leader rebuilds its picture.
 */
import { z } from "zod";
import { Id, list, nullTolerant, opt, optEnum } from "./wire.js";
import { AgentInfo, MasterInfo, Resource } from "./mesos/common.js";
import { FrameworkInfo } from "./mesos/framework.js";
import { Operation } from "./mesos/scheduler.js";
import { ExecutorInfo, KillPolicy, TaskGroupInfo, TaskInfo, TaskState, TaskStatus } from "./mesos/task.js";

export const AGENT_API_PATH = "/internal/agent/v1";

/** A task as the agent reports it when (re-)subscribing. */
export const AgentTask = z.object({
  framework_id: Id,
  info: TaskInfo,
  executor_id: opt(Id),
  state: TaskState,
  /** The newest status the agent holds (it may not be acknowledged yet). */
  latest_status: opt(TaskStatus),
  /** The uuid of the update currently waiting for acknowledgement, if any. */
  pending_uuid: opt(z.string()),
});
export type AgentTask = z.infer<typeof AgentTask>;

export const AgentCapability = optEnum([
  "MULTI_ROLE",
  "HIERARCHICAL_ROLE",
  "RESERVATION_REFINEMENT",
  "RESOURCE_PROVIDER",
  "RESIZE_VOLUME",
  "AGENT_OPERATION_FEEDBACK",
  "AGENT_DRAINING",
  "TASK_RESOURCE_LIMITS",
]);

export const AgentCall = nullTolerant(z.object({
  type: z.enum(["SUBSCRIBE", "UPDATE", "UPDATE_RESOURCES", "PONG", "UNSUBSCRIBE"]),
  agent_id: opt(Id),
  subscribe: opt(
    z.object({
      agent_info: AgentInfo,
      /** IP the agent is reachable on; the master builds `pid` and offer urls from it. */
      ip: z.string(),
      version: opt(z.string()),
      capabilities: list(z.object({ type: z.string() })),
      /** Dynamic reservations and persistent volumes the agent has checkpointed. */
      checkpointed_resources: list(Resource),
      frameworks: list(FrameworkInfo),
      tasks: list(AgentTask),
      completed_tasks: list(AgentTask),
      /** Containerizers this agent runs, e.g. ["mesos", "docker"]. */
      containerizers: list(z.string()),
    }),
  ),
  update: opt(z.object({ status: TaskStatus, latest_state: opt(TaskState), framework_id: Id })),
  update_resources: opt(z.object({ total: list(Resource) })),
}));
export type AgentCall = z.infer<typeof AgentCall>;

export const AgentEvent = nullTolerant(z.object({
  type: z.enum([
    "SUBSCRIBED",
    "RUN_TASK",
    "RUN_TASK_GROUP",
    "KILL_TASK",
    "SHUTDOWN_FRAMEWORK",
    "ACKNOWLEDGE",
    "CHECKPOINT_RESOURCES",
    "APPLY_OPERATION",
    "PING",
    "SHUTDOWN",
    "ERROR",
  ]),
  subscribed: opt(z.object({ agent_id: Id, master_info: MasterInfo, ping_interval_seconds: z.number() })),
  run_task: opt(z.object({ framework: FrameworkInfo, task: TaskInfo })),
  run_task_group: opt(z.object({ framework: FrameworkInfo, executor: ExecutorInfo, task_group: TaskGroupInfo })),
  kill_task: opt(z.object({ framework_id: Id, task_id: Id, kill_policy: opt(KillPolicy), reason: opt(z.string()) })),
  shutdown_framework: opt(z.object({ framework_id: Id })),
  acknowledge: opt(z.object({ framework_id: Id, task_id: Id, uuid: z.string() })),
  /** The full set of dynamic reservations and volumes the agent must hold after an operation. */
  checkpoint_resources: opt(z.object({ resources: list(Resource) })),
  apply_operation: opt(z.object({ framework_id: opt(Id), operation: Operation })),
  shutdown: opt(z.object({ message: z.string() })),
  error: opt(z.object({ message: z.string() })),
}));
export type AgentEvent = z.infer<typeof AgentEvent>;
