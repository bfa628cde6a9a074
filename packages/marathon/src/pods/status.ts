/**
 * A pod instance has one task per container but one life: the controller, deployments and backoff see
 * a single state and health for it. These pure functions fold the containers' task states into that
 * instance state (a container that ends badly takes the group down, as the default executor does),
 * and compute Marathon's PodStatus status words.
 */
import { isTerminalState, type TaskState, type TaskStatus } from "@caravel/api";
import type { Instance, PodTaskState } from "../instances/instance.js";

const BAD_END: readonly TaskState[] = ["TASK_FAILED", "TASK_ERROR", "TASK_LOST", "TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR"];

/** The instance's state from its containers' task states. */
export function aggregateState(states: readonly TaskState[]): TaskState {
  if (states.length === 0) return "TASK_STAGING";
  const terminal = states.filter(isTerminalState);
  if (terminal.length === states.length) {
    return terminal.find((s) => BAD_END.includes(s)) ?? (terminal.includes("TASK_KILLED") ? "TASK_KILLED" : "TASK_FINISHED");
  }
  if (states.includes("TASK_UNREACHABLE")) return "TASK_UNREACHABLE";
  if (states.includes("TASK_UNKNOWN")) return "TASK_UNKNOWN";
  // A container that ended (other than successfully) or is being killed: the group is going down.
  if (states.includes("TASK_KILLING") || terminal.some((s) => s !== "TASK_FINISHED")) return "TASK_KILLING";
  if (states.every((s) => s === "TASK_RUNNING" || s === "TASK_FINISHED")) return "TASK_RUNNING";
  return states.includes("TASK_STAGING") ? "TASK_STAGING" : "TASK_STARTING";
}

/** The instance's health: false if any checked container is unhealthy, true when all checked ones are healthy. */
export function aggregateHealth(tasks: readonly PodTaskState[]): boolean | undefined {
  const checked = tasks.filter((t) => t.checked);
  if (checked.length === 0) return undefined;
  if (checked.some((t) => t.healthy === false)) return false;
  return checked.every((t) => t.healthy === true) ? true : undefined;
}

/**
 * Records a container task's status on its pod instance and returns the status of the instance as a
 * whole (task id = the instance's primary task), for the core to handle as it handles an app task.
 */
export function podInstanceStatus(i: Instance, status: TaskStatus, now: number): TaskStatus {
  const tasks = i.tasks!;
  const entry = Object.values(tasks).find((t) => t.taskId === status.task_id.value);
  if (entry) {
    if (status.healthy !== undefined) entry.healthy = status.healthy;
    if (status.message) entry.message = status.message;
    if (entry.state !== status.state) entry.since = now;
    entry.state = status.state;
  }
  const all = Object.values(tasks);
  const state = aggregateState(all.map((t) => t.state));
  const healthy = aggregateHealth(all);
  const { healthy: _ignored, ...rest } = status;
  void _ignored;
  return { ...rest, task_id: { value: i.taskId }, state, ...(healthy !== undefined ? { healthy } : {}) };
}

/** Marathon's PodInstanceState for an instance. */
export function instanceStatusWord(i: Instance, hasHealthChecks: boolean): "PENDING" | "STAGING" | "STABLE" | "DEGRADED" | "TERMINAL" {
  if (i.goal !== "running" || isTerminalState(i.state) || i.state === "TASK_KILLING") return "TERMINAL";
  if (i.state === "TASK_STAGING" || i.state === "TASK_STARTING") return "STAGING";
  if (i.state === "TASK_RUNNING") return !hasHealthChecks || i.healthy === true ? "STABLE" : "DEGRADED";
  return "DEGRADED";
}

/** Marathon's PodState: STABLE when the wanted number of instances are stable, TERMINAL when going away. */
export function podStatusWord(wanted: number, words: readonly string[], removing: boolean): "STABLE" | "DEGRADED" | "TERMINAL" {
  if (removing) return "TERMINAL";
  const stable = words.filter((w) => w === "STABLE").length;
  return stable >= wanted && words.filter((w) => w !== "TERMINAL").length === wanted ? "STABLE" : "DEGRADED";
}
