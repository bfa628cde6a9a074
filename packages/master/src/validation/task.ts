/**
 * Task validation at ACCEPT time (mesos-core.md §1.5): every message says what is wrong and how to fix
 * it; an invalid task gets TASK_ERROR with REASON_TASK_INVALID and nothing is launched.
 */
import { containsResources, legacyResources, rangesOf, type Resource, type TaskInfo } from "@caravel/api";
import { invalidIdReason } from "../state/ids.js";

export interface TaskValidationContext {
  agentId: string;
  /** Resources still available in the accepted offers. */
  available: Resource[];
  /** Task ids already used by the framework (active, unreachable, or earlier in this ACCEPT). */
  taskIdInUse: (id: string) => boolean;
  /** true inside LAUNCH_GROUP, where tasks must carry a command and never an executor. */
  inGroup: boolean;
}

const describe = (resources: Resource[]) => JSON.stringify(legacyResources(resources));

export function validateTask(task: TaskInfo, v: TaskValidationContext): string | undefined {
  const id = task.task_id.value;
  const idProblem = invalidIdReason(id);
  if (idProblem) return `Task ID '${id}' is invalid: it ${idProblem}`;
  if (v.taskIdInUse(id)) return `Task ID '${id}' is already in use by this framework; choose a unique task id`;
  if (task.agent_id.value !== v.agentId) return `Task uses agent '${task.agent_id.value}' but the offer is for agent '${v.agentId}'`;
  if (v.inGroup) {
    if (task.executor) return "Tasks in a task group must not set 'executor'; the group's executor runs them";
    if (!task.command) return "Tasks in a task group must have a 'command'";
  } else if (!task.command === !task.executor) {
    return "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present";
  }
  if (task.resources.length === 0) return "Task uses no resources; give it at least cpus and mem";
  for (const r of task.resources) {
    if (r.type === "SCALAR" && !(Number.isFinite(r.scalar?.value) && (r.scalar?.value ?? -1) >= 0)) {
      return `Resource '${r.name}' has an invalid scalar value; use a non-negative number`;
    }
    if (r.type === "SCALAR" && !r.scalar) return `Resource '${r.name}' of type SCALAR needs 'scalar'`;
    if (r.type === "RANGES" && !r.ranges) return `Resource '${r.name}' of type RANGES needs 'ranges'`;
  }
  if (!containsResources(v.available, task.resources)) {
    return `Task uses more resources ${describe(task.resources)} than available ${describe(v.available)}`;
  }
  return validateHealthCheck(task) ?? validateContainer(task) ?? validateKillPolicy(task);
}

function validateHealthCheck(task: TaskInfo): string | undefined {
  const hc = task.health_check;
  if (!hc) return undefined;
  if (!hc.type || hc.type === "UNKNOWN") return "HealthCheck must specify 'type' (COMMAND, HTTP or TCP)";
  if (hc.type === "HTTP" && !hc.http) return "HealthCheck of type HTTP needs 'http' with a 'port'";
  if (hc.type === "TCP" && !hc.tcp) return "HealthCheck of type TCP needs 'tcp' with a 'port'";
  if (hc.type === "COMMAND" && !hc.command) return "HealthCheck of type COMMAND needs 'command'";
  for (const [field, value] of [["delay_seconds", hc.delay_seconds], ["interval_seconds", hc.interval_seconds], ["timeout_seconds", hc.timeout_seconds], ["grace_period_seconds", hc.grace_period_seconds]] as const) {
    if (value < 0) return `HealthCheck '${field}' must not be negative`;
  }
  return undefined;
}

function validateContainer(task: TaskInfo): string | undefined {
  const c = task.container;
  if (!c) return undefined;
  if (c.type === "DOCKER" && !c.docker) return "ContainerInfo of type DOCKER needs 'docker' with an 'image'";
  if (c.type === "MESOS" && c.docker) return "ContainerInfo of type MESOS must not set 'docker'; use type DOCKER";
  if (c.docker?.network === "BRIDGE" || c.docker?.network === "USER") {
    const ports = rangesOf(task.resources, "ports");
    for (const m of c.docker.port_mappings) {
      if (!ports.some((r) => r.begin <= m.host_port && m.host_port <= r.end)) {
        return `Port mapping host_port ${m.host_port} is not in the task's 'ports' resource; add it to the task's resources`;
      }
    }
  }
  return undefined;
}

function validateKillPolicy(task: TaskInfo): string | undefined {
  const grace = task.kill_policy?.grace_period?.nanoseconds;
  if (grace !== undefined && grace < 0) return "KillPolicy 'grace_period' must not be negative";
  return undefined;
}
