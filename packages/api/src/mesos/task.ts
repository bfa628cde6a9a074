/** Tasks, commands, containers, health checks and status updates (mesos.proto). */
import { z } from "zod";
import { Bytes, Id, enumOf, int, list, num, opt, optEnum, withDefault } from "../wire.js";
import { DurationInfo, Environment, Labels, Parameter, Resource, Volume } from "./common.js";

export const TASK_STATES = [
  "TASK_STAGING",
  "TASK_STARTING",
  "TASK_RUNNING",
  "TASK_KILLING",
  "TASK_FINISHED",
  "TASK_FAILED",
  "TASK_KILLED",
  "TASK_ERROR",
  "TASK_LOST",
  "TASK_DROPPED",
  "TASK_UNREACHABLE",
  "TASK_GONE",
  "TASK_GONE_BY_OPERATOR",
  "TASK_UNKNOWN",
] as const;
export const TaskState = enumOf(TASK_STATES);
export type TaskState = z.infer<typeof TaskState>;

const TERMINAL: ReadonlySet<TaskState> = new Set([
  "TASK_FINISHED",
  "TASK_FAILED",
  "TASK_KILLED",
  "TASK_ERROR",
  "TASK_LOST",
  "TASK_DROPPED",
  "TASK_GONE",
  "TASK_GONE_BY_OPERATOR",
]);
export const isTerminalState = (state: TaskState): boolean => TERMINAL.has(state);

export const REASONS = [
  "REASON_COMMAND_EXECUTOR_FAILED",
  "REASON_CONTAINER_LAUNCH_FAILED",
  "REASON_CONTAINER_LIMITATION",
  "REASON_CONTAINER_LIMITATION_DISK",
  "REASON_CONTAINER_LIMITATION_MEMORY",
  "REASON_CONTAINER_PREEMPTED",
  "REASON_CONTAINER_PREPARATION_FAILED",
  "REASON_CONTAINER_UPDATE_FAILED",
  "REASON_EXECUTOR_REGISTRATION_TIMEOUT",
  "REASON_EXECUTOR_REREGISTRATION_TIMEOUT",
  "REASON_EXECUTOR_TERMINATED",
  "REASON_EXECUTOR_UNREGISTERED",
  "REASON_FRAMEWORK_REMOVED",
  "REASON_GC_ERROR",
  "REASON_INVALID_FRAMEWORKID",
  "REASON_INVALID_OFFERS",
  "REASON_IO_SWITCHBOARD_EXITED",
  "REASON_MASTER_DISCONNECTED",
  "REASON_RECONCILIATION",
  "REASON_RESOURCES_UNKNOWN",
  "REASON_AGENT_DISCONNECTED",
  "REASON_AGENT_REMOVED",
  "REASON_AGENT_REMOVED_BY_OPERATOR",
  "REASON_AGENT_REREGISTERED",
  "REASON_AGENT_RESTARTED",
  "REASON_AGENT_UNKNOWN",
  "REASON_AGENT_DRAINING",
  "REASON_TASK_CHECK_STATUS_UPDATED",
  "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED",
  "REASON_TASK_GROUP_INVALID",
  "REASON_TASK_GROUP_UNAUTHORIZED",
  "REASON_TASK_INVALID",
  "REASON_TASK_KILLED_DURING_LAUNCH",
  "REASON_TASK_UNAUTHORIZED",
  "REASON_TASK_UNKNOWN",
  "REASON_MAX_COMPLETION_TIME_REACHED",
] as const;
export const Reason = enumOf(REASONS);
export type Reason = z.infer<typeof Reason>;

export const URI = z.object({
  value: z.string(),
  executable: opt(z.boolean()),
  extract: withDefault(z.boolean(), true),
  cache: opt(z.boolean()),
  output_file: opt(z.string()),
});

export const CommandInfo = z.object({
  uris: list(URI),
  environment: opt(Environment),
  shell: withDefault(z.boolean(), true),
  value: opt(z.string()),
  arguments: list(z.string()),
  user: opt(z.string()),
});
export type CommandInfo = z.infer<typeof CommandInfo>;

export const PortMapping = z.object({
  host_port: int,
  container_port: int,
  protocol: opt(z.string()),
});

export const DockerInfo = z.object({
  image: z.string().min(1, "a Docker image name is required"),
  network: withDefault(enumOf(["HOST", "BRIDGE", "NONE", "USER"]), "HOST"),
  port_mappings: list(PortMapping),
  privileged: withDefault(z.boolean(), false),
  parameters: list(Parameter),
  force_pull_image: opt(z.boolean()),
});
export type DockerInfo = z.infer<typeof DockerInfo>;

export const NetworkInfo = z.object({
  ip_addresses: list(z.object({ protocol: withDefault(enumOf(["IPv4", "IPv6"]), "IPv4"), ip_address: opt(z.string()) })),
  name: opt(z.string()),
  groups: list(z.string()),
  labels: opt(Labels),
  port_mappings: list(PortMapping),
});
export type NetworkInfo = z.infer<typeof NetworkInfo>;

export const ContainerInfo = z.object({
  type: enumOf(["DOCKER", "MESOS"]),
  volumes: list(Volume),
  hostname: opt(z.string()),
  docker: opt(DockerInfo),
  mesos: opt(z.object({ image: opt(z.object({ type: optEnum(["APPC", "DOCKER"]), docker: opt(z.object({ name: z.string() })) })) })),
  network_infos: list(NetworkInfo),
});
export type ContainerInfo = z.infer<typeof ContainerInfo>;

export const HealthCheck = z.object({
  type: optEnum(["UNKNOWN", "COMMAND", "HTTP", "TCP"]),
  delay_seconds: withDefault(num, 15),
  interval_seconds: withDefault(num, 10),
  timeout_seconds: withDefault(num, 20),
  consecutive_failures: withDefault(int, 3),
  grace_period_seconds: withDefault(num, 10),
  command: opt(CommandInfo),
  http: opt(
    z.object({
      port: int,
      path: opt(z.string()),
      scheme: opt(z.string()),
      protocol: optEnum(["IPv4", "IPv6"]),
      statuses: list(int),
    }),
  ),
  tcp: opt(z.object({ port: int, protocol: optEnum(["IPv4", "IPv6"]) })),
});
export type HealthCheck = z.infer<typeof HealthCheck>;

export const KillPolicy = z.object({ grace_period: opt(DurationInfo) });
export type KillPolicy = z.infer<typeof KillPolicy>;

export const DiscoveryInfo = z.object({
  visibility: enumOf(["FRAMEWORK", "CLUSTER", "EXTERNAL"]),
  name: opt(z.string()),
  environment: opt(z.string()),
  location: opt(z.string()),
  version: opt(z.string()),
  ports: opt(
    z.object({
      ports: list(
        z.object({
          number: int,
          name: opt(z.string()),
          protocol: opt(z.string()),
          visibility: optEnum(["FRAMEWORK", "CLUSTER", "EXTERNAL"]),
          labels: opt(Labels),
        }),
      ),
    }),
  ),
  labels: opt(Labels),
});
export type DiscoveryInfo = z.infer<typeof DiscoveryInfo>;

export const ExecutorInfo = z.object({
  type: optEnum(["UNKNOWN", "DEFAULT", "CUSTOM"]),
  executor_id: Id,
  framework_id: opt(Id),
  command: opt(CommandInfo),
  container: opt(ContainerInfo),
  resources: list(Resource),
  name: opt(z.string()),
  data: opt(Bytes),
  discovery: opt(DiscoveryInfo),
  shutdown_grace_period: opt(DurationInfo),
  labels: opt(Labels),
});
export type ExecutorInfo = z.infer<typeof ExecutorInfo>;

export const TaskInfo = z.object({
  name: z.string(),
  task_id: Id,
  agent_id: Id,
  resources: list(Resource),
  executor: opt(ExecutorInfo),
  command: opt(CommandInfo),
  container: opt(ContainerInfo),
  health_check: opt(HealthCheck),
  check: opt(z.unknown()),
  kill_policy: opt(KillPolicy),
  data: opt(Bytes),
  labels: opt(Labels),
  discovery: opt(DiscoveryInfo),
  max_completion_time: opt(DurationInfo),
  limits: opt(z.record(z.string(), z.object({ value: num }))),
});
export type TaskInfo = z.infer<typeof TaskInfo>;

export const TaskGroupInfo = z.object({ tasks: list(TaskInfo) });
export type TaskGroupInfo = z.infer<typeof TaskGroupInfo>;

export const ContainerStatus = z.object({
  container_id: opt(z.object({ value: z.string(), parent: opt(z.object({ value: z.string() })) })),
  network_infos: list(NetworkInfo),
  cgroup_info: opt(z.unknown()),
  executor_pid: opt(int),
});
export type ContainerStatus = z.infer<typeof ContainerStatus>;

export const TaskStatus = z.object({
  task_id: Id,
  state: TaskState,
  message: opt(z.string()),
  source: optEnum(["SOURCE_MASTER", "SOURCE_AGENT", "SOURCE_EXECUTOR"]),
  reason: optEnum(REASONS),
  data: opt(Bytes),
  agent_id: opt(Id),
  executor_id: opt(Id),
  timestamp: opt(num),
  uuid: opt(Bytes),
  healthy: opt(z.boolean()),
  check_status: opt(z.unknown()),
  labels: opt(Labels),
  container_status: opt(ContainerStatus),
  unreachable_time: opt(z.object({ nanoseconds: num })),
  limitation: opt(z.object({ resources: list(Resource) })),
});
export type TaskStatus = z.infer<typeof TaskStatus>;
