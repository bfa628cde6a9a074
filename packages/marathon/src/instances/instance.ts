/**
 * Marathon's picture of one instance of an app: which task runs it, where, in what state, and what
 * Marathon wants of it. Instances are plain data; every decision about them is a pure function.
 */
import type { AppDefinition, Resource, TaskState } from "@caravel/api";
import type { OfferView } from "../placement/offer.js";

export type InstanceGoal = "running" | "stopped" | "decommissioned";

export interface Instance {
  instanceId: string;
  taskId: string;
  appId: string;
  /** The app version this instance was launched with. */
  version: string;
  /** `versionInfo.lastConfigChangeAt` of that version: instances with the same one need no restart. */
  configVersion: string;
  agentId: string;
  hostname: string;
  state: TaskState;
  /** Host ports (the `$PORTn` values) in the order of the app's ports. */
  ports: number[];
  servicePorts: number[];
  ipAddresses: { ipAddress: string; protocol: "IPv4" | "IPv6" }[];
  /** Values of the agent's attributes, plus hostname/@region/@zone, for constraints. */
  attributes: Record<string, string>;
  stagedAt: number;
  startedAt?: number;
  /** From Mesos health checks; undefined = unknown (never acted on). */
  healthy?: boolean;
  /** Readiness (apps with a readiness check): false until the check passes; undefined = no check. */
  ready?: boolean;
  /** What Marathon wants: `running`, or being killed (`stopped`: kill; `decommissioned`: kill and forget). */
  goal: InstanceGoal;
  killRequestedAt?: number;
  /** When the task went TASK_UNREACHABLE (ms), for the unreachable strategy. */
  unreachableSince?: number;
  role: string;
  region?: string;
  zone?: string;
  lastMessage?: string;
  /** Resident apps: the persistent volumes the task runs with (Marathon's `localVolumes`). */
  localVolumes?: { containerPath: string; persistenceId: string }[];
  /** Pods: each container's task (by container name); `taskId` above is the first container's. */
  tasks?: Record<string, PodTaskState>;
}

/** One container task of a pod instance. */
export interface PodTaskState {
  taskId: string;
  state: TaskState;
  /** The container has a health check. */
  checked?: boolean;
  healthy?: boolean;
  message?: string;
  /** When the state last changed (ms). */
  since?: number;
}

const ACTIVE_STATES: ReadonlySet<TaskState> = new Set(["TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_UNREACHABLE", "TASK_UNKNOWN"]);

/** True while the task may still be (or become) running. */
export const isActive = (i: Instance): boolean => ACTIVE_STATES.has(i.state);

/** Active and wanted: counts toward the app's instances. */
export const isWanted = (i: Instance): boolean => isActive(i) && i.goal === "running";

/**
 * Healthy as far as deployments and capacity are concerned: running, and healthy when the app has
 * health checks (unknown health is not healthy, but is never a reason to kill either).
 */
export const countsAsHealthy = (i: Instance, hasHealthChecks: boolean): boolean =>
  i.state === "TASK_RUNNING" && (!hasHealthChecks || i.healthy === true) && i.ready !== false;

/** Marathon's instance condition names, for `instance_changed_event`. */
export function conditionOf(state: TaskState, goal: InstanceGoal): string {
  switch (state) {
    case "TASK_STAGING":
      return "Staging";
    case "TASK_STARTING":
      return "Starting";
    case "TASK_RUNNING":
      return goal === "running" ? "Running" : "Killing";
    case "TASK_KILLING":
      return "Killing";
    case "TASK_FINISHED":
      return "Finished";
    case "TASK_FAILED":
      return "Failed";
    case "TASK_KILLED":
      return "Killed";
    case "TASK_ERROR":
      return "Error";
    case "TASK_UNREACHABLE":
      return "Unreachable";
    case "TASK_GONE":
    case "TASK_GONE_BY_OPERATOR":
      return "Gone";
    case "TASK_DROPPED":
      return "Dropped";
    case "TASK_LOST":
      return "Unreachable";
    default:
      return "Unknown";
  }
}

/** Where a new instance goes: the fields app and pod placements share. */
export interface InstancePlacement {
  app: Pick<AppDefinition, "id" | "version" | "versionInfo">;
  offer: OfferView;
  resources: Resource[];
  hostPorts: number[];
}

/** A new instance, staging on its placement's offer (apps and pods add their own fields). */
export function stagedInstance(p: InstancePlacement, instanceId: string, taskId: string, servicePorts: number[], now: number): Instance {
  return {
    instanceId,
    taskId,
    appId: p.app.id,
    version: p.app.version ?? "",
    configVersion: p.app.versionInfo?.lastConfigChangeAt ?? p.app.version ?? "",
    agentId: p.offer.agentId,
    hostname: p.offer.hostname,
    state: "TASK_STAGING",
    ports: p.hostPorts,
    servicePorts,
    ipAddresses: [],
    attributes: p.offer.attributes,
    stagedAt: now,
    goal: "running",
    role: p.resources[0]?.allocation_info?.role ?? "*",
    ...(p.offer.region ? { region: p.offer.region } : {}),
    ...(p.offer.zone ? { zone: p.offer.zone } : {}),
  };
}
