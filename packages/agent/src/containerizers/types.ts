/**
 * The Containerizer interface: how the agent runs one container. Three implementations share it and
 * one contract test suite (`containerizer.contract.ts`): "mesos" (native processes), "docker"
 * (dockerode) and "sim" (a scriptable fake for scale tests).
 *
 * The agent owns task state, status updates, health checks and checkpoints; a containerizer only
 * starts, watches, signals and cleans up containers, and reattaches to them after an agent restart.
 */
import type { CommandInfo, ContainerInfo, Reason, TaskInfo } from "@caravel/api";

export type ContainerizerName = "mesos" | "docker" | "sim";

export interface VolumeMount {
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
}

export interface LaunchSpec {
  /** Unique per container run; also the sandbox's run directory name. */
  containerId: string;
  agentId: string;
  frameworkId: string;
  task: TaskInfo;
  /** Host directory of the sandbox (stdout, stderr, fetched URIs). Exists before launch. */
  sandbox: string;
  /** Environment Mesos gives a task (MESOS_SANDBOX, MESOS_TASK_ID, HOST, PORT0…, PORTS …) plus CommandInfo's. */
  env: Record<string, string>;
  /** Limits derived from the task's resources. */
  limits: { cpus: number; memMb: number; diskMb: number; gpus: number };
  /** Host ports given to the task, in the order of its `ports` resource. */
  ports: number[];
  /** Persistent volumes and host paths to mount. */
  volumes: VolumeMount[];
  /** For task groups: the container whose network namespace members join (Mesos' default executor). */
  networkOf?: string;
  /** DNS server address to give the container (caravel-dns), when configured. */
  dnsServer?: string;
}

/** How a container ended. */
export interface ContainerExit {
  /** Process exit code; null when killed by a signal. */
  exitCode: number | null;
  signal?: string;
  /** Killed by the memory limit. */
  oomKilled?: boolean;
  /** Mesos reason for a failure the containerizer can name (e.g. REASON_CONTAINER_LIMITATION_MEMORY). */
  reason?: Reason;
  message?: string;
}

export interface ContainerInfoReport {
  /** The container's own IP (bridge networks); the agent falls back to its own IP. */
  ipAddress?: string;
  /** Host pid of the container's main process, when known. */
  pid?: number;
}

/** What the agent checkpoints per container so that a restarted agent can reattach. */
export interface CheckpointedContainer {
  containerId: string;
  containerizer: ContainerizerName;
  /** Implementation-specific handle: a pid and start time, a Docker container id, … */
  handle: Record<string, unknown>;
  spec: LaunchSpec;
}

export interface ResourceUsage {
  cpusUserTimeSecs: number;
  cpusSystemTimeSecs: number;
  memRssBytes: number;
  memLimitBytes: number;
  cpusLimit: number;
  timestamp: number;
}

/** A failure before the task could run, mapped to a Mesos reason (TASK_FAILED with that reason). */
export class LaunchError extends Error {
  constructor(
    readonly reason: Reason,
    message: string,
  ) {
    super(message);
    this.name = "LaunchError";
  }
}

export interface Containerizer {
  readonly name: ContainerizerName;
  /** Whether this containerizer runs tasks with this ContainerInfo (undefined = a plain command task). */
  accepts(container: ContainerInfo | undefined): boolean;
  /**
   * Starts a container; resolves once its process runs, with the handle to checkpoint.
   * Rejects with LaunchError (e.g. REASON_CONTAINER_PREPARATION_FAILED for a failed image pull).
   */
  launch(spec: LaunchSpec): Promise<CheckpointedContainer>;
  /** Resolves once the container has ended. Safe to call more than once. */
  wait(containerId: string): Promise<ContainerExit>;
  /** SIGTERM, then SIGKILL after the grace period. Resolves when the container has ended. Idempotent. */
  kill(containerId: string, gracePeriodMs: number): Promise<void>;
  /**
   * Reattaches to containers launched by an earlier agent process. Returns the ids still running;
   * `wait` works for them afterwards. Containers that ended meanwhile resolve `wait` with their exit.
   */
  recover(containers: CheckpointedContainer[]): Promise<string[]>;
  /** Runs a command inside the container (COMMAND health checks). */
  exec(containerId: string, command: CommandInfo, timeoutMs: number): Promise<{ exitCode: number; output: string }>;
  /** Network facts for status updates and HTTP/TCP health checks. */
  info(containerId: string): ContainerInfoReport;
  usage(containerId: string): Promise<ResourceUsage | undefined>;
  /** Removes what the container left behind apart from its sandbox (Docker container, cgroups). Idempotent. */
  destroy(containerId: string): Promise<void>;
  /** Stops background work (event streams, timers). Running containers are left alone. */
  close(): Promise<void>;
}
