/** Renders Marathon's JSON views (AppInfo, Task) from apps and instances. */
import type { AppDefinition, MarathonTask } from "@caravel/api";
import { countsAsHealthy, type Instance } from "../instances/instance.js";

export interface TaskFailure {
  appId: string;
  host: string;
  message: string;
  state: string;
  taskId: string;
  timestamp: string;
  version: string;
  slaveId: string;
}

export function taskView(i: Instance): MarathonTask & Record<string, unknown> {
  return {
    id: i.taskId,
    appId: i.appId,
    host: i.hostname,
    ports: i.ports,
    servicePorts: i.servicePorts,
    ipAddresses: i.ipAddresses,
    slaveId: i.agentId,
    state: i.state,
    stagedAt: new Date(i.stagedAt).toISOString(),
    ...(i.startedAt !== undefined ? { startedAt: new Date(i.startedAt).toISOString() } : {}),
    version: i.version,
    healthCheckResults: i.healthy === undefined ? [] : [{ alive: i.healthy, consecutiveFailures: i.healthy ? 0 : 1, instanceId: i.instanceId }],
    role: i.role,
    ...(i.region ? { region: i.region } : {}),
    ...(i.zone ? { zone: i.zone } : {}),
  };
}

export interface AppInfoOptions {
  instances: readonly Instance[];
  deployments: readonly string[];
  embedTasks: boolean;
  lastTaskFailure?: TaskFailure;
}

/** AppInfo: the definition plus counts, deployments and (optionally) tasks. */
export function appInfoView(app: AppDefinition, o: AppInfoOptions): Record<string, unknown> {
  const hc = app.healthChecks.length > 0;
  const visible = o.instances.filter((i) => i.goal === "running" || i.state === "TASK_RUNNING");
  return {
    ...app,
    tasksStaged: visible.filter((i) => i.state === "TASK_STAGING" || i.state === "TASK_STARTING").length,
    tasksRunning: visible.filter((i) => i.state === "TASK_RUNNING").length,
    tasksHealthy: hc ? visible.filter((i) => countsAsHealthy(i, true)).length : 0,
    tasksUnhealthy: hc ? visible.filter((i) => i.state === "TASK_RUNNING" && i.healthy === false).length : 0,
    deployments: o.deployments.map((id) => ({ id })),
    ...(o.embedTasks ? { tasks: visible.map(taskView) } : {}),
    ...(o.lastTaskFailure ? { lastTaskFailure: o.lastTaskFailure } : {}),
  };
}
