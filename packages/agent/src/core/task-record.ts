/**
 * What the agent knows about one task, and the pure rules that turn container events into Mesos
 * status updates. A record is plain JSON so that it can be checkpointed as it is.
 */
import { randomUUID } from "node:crypto";
import type { FrameworkInfo, Reason, TaskInfo, TaskState, TaskStatus } from "@caravel/api";
import { hasCapability } from "@caravel/api";
import type { CheckpointedContainer, ContainerExit, ContainerizerName } from "../containerizers/types.js";

export interface TaskRecord {
  frameworkId: string;
  info: TaskInfo;
  /** Command tasks: the task id (Mesos' command executor); task groups: the group's executor id. */
  executorId: string;
  /** Set for members of a task group: the ids of every task of the group. */
  group?: string[];
  containerizer: ContainerizerName;
  containerId: string;
  sandbox: string;
  /** The newest state the agent has produced. */
  state: TaskState;
  latestStatus?: TaskStatus;
  /** Present once the container runs (the containerizer's handle). */
  container?: CheckpointedContainer;
  /** A kill was asked for (by the master, a failed health check or a failed group member). */
  killRequested?: boolean;
  healthy?: boolean;
  startedAt?: number;
  endedAt?: number;
}

/**
 * A 16-byte random uuid, base64 as Mesos' JSON carries bytes. Built from randomUUID, which draws on
 * a cached entropy pool (randomBytes per update showed up in profiles of large simulations).
 */
export const newUuid = (): string => Buffer.from(randomUUID().replace(/-/g, ""), "hex").toString("base64");

export interface StatusOptions {
  message?: string;
  reason?: Reason;
  healthy?: boolean;
  ipAddress: string;
  agentId: string;
  now: number;
}

/** Builds a status update from the executor (the agent plays Mesos' command/default executor). */
export function buildStatus(record: TaskRecord, state: TaskState, opts: StatusOptions): TaskStatus {
  const status: TaskStatus = {
    task_id: record.info.task_id,
    state,
    source: "SOURCE_EXECUTOR",
    agent_id: { value: opts.agentId },
    executor_id: { value: record.executorId },
    timestamp: opts.now / 1000,
    uuid: newUuid(),
    container_status: {
      container_id: { value: record.containerId },
      network_infos: [{ ip_addresses: [{ protocol: "IPv4", ip_address: opts.ipAddress }], groups: [], port_mappings: [] }],
    },
  };
  if (opts.message !== undefined) status.message = opts.message;
  if (opts.reason !== undefined) status.reason = opts.reason;
  if (opts.healthy !== undefined) status.healthy = opts.healthy;
  return status;
}

/** The terminal state and reason for a container that ended. */
export function exitOutcome(
  exit: ContainerExit,
  killRequested: boolean,
  framework: FrameworkInfo | undefined,
): { state: TaskState; reason?: Reason; message: string } {
  if (exit.reason === "REASON_AGENT_RESTARTED") {
    const aware = framework !== undefined && hasCapability(framework, "PARTITION_AWARE");
    return { state: aware ? "TASK_GONE" : "TASK_LOST", reason: "REASON_AGENT_RESTARTED", message: exit.message ?? "container lost across an agent restart" };
  }
  if (exit.oomKilled || exit.reason === "REASON_CONTAINER_LIMITATION_MEMORY") {
    return { state: "TASK_FAILED", reason: "REASON_CONTAINER_LIMITATION_MEMORY", message: exit.message ?? "Memory limit exceeded" };
  }
  if (killRequested) return { state: "TASK_KILLED", message: "Command terminated with signal " + (exit.signal ?? "SIGTERM") };
  if (exit.exitCode === 0) return { state: "TASK_FINISHED", message: "Command exited with status 0" };
  const message =
    exit.message ?? (exit.exitCode === null ? `Command terminated with signal ${exit.signal ?? "unknown"}` : `Command exited with status ${exit.exitCode}`);
  const out: { state: TaskState; reason?: Reason; message: string } = { state: "TASK_FAILED", message };
  if (exit.reason) out.reason = exit.reason;
  return out;
}

/** Mesos' default kill grace (KillPolicy, else the executor's shutdown grace period). */
export function gracePeriodMs(task: TaskInfo, override: { grace_period?: { nanoseconds: number } } | undefined, fallbackMs: number): number {
  const ns = override?.grace_period?.nanoseconds ?? task.kill_policy?.grace_period?.nanoseconds;
  return ns === undefined ? fallbackMs : Math.max(0, Math.round(ns / 1e6));
}

/** Marathon app id of a task id (`app.instance` → `app`), used to group sandboxes for GC. */
export function appIdOf(taskId: string): string {
  const dot = taskId.lastIndexOf(".");
  return dot > 0 ? taskId.slice(0, dot) : taskId;
}
