/**
 * Scheduler calls other than SUBSCRIBE (mesos-core.md §1.4). The HTTP layer has already checked the
 * framework, its stream id and the call's payload; these functions change state and send events.
 */
import { CaravelError, hasCapability, type Call, type TaskState, type TaskStatus } from "@caravel/api";
import type { FrameworkRecord, TaskRecord } from "../state/types.js";
import { accept, decline } from "./accept.js";
import type { MasterContext } from "./context.js";
import { removeFramework, updateFrameworkInfo } from "./frameworks.js";
import { answerInverseOffers, checkDrained } from "./drain.js";
import { acknowledge, sendOrphanUpdate, sendToFramework } from "./tasks.js";

export function handleCall(ctx: MasterContext, fw: FrameworkRecord, call: Call): void {
  switch (call.type) {
    case "TEARDOWN":
      return removeFramework(ctx, fw);
    case "ACCEPT":
      return accept(ctx, fw, call.accept!);
    case "DECLINE":
      return decline(ctx, fw, call.decline!.offer_ids, call.decline!.filters);
    case "REVIVE": {
      const roles = call.revive?.roles ?? [];
      ctx.allocator.revive(fw.id, roles.length ? roles : undefined);
      for (const role of roles.length ? roles : fw.roles) fw.suppressedRoles.delete(role);
      ctx.count("master/messages_revive_offers");
      ctx.requestAllocation();
      return;
    }
    case "SUPPRESS": {
      const roles = call.suppress?.roles ?? [];
      ctx.allocator.suppress(fw.id, roles.length ? roles : undefined);
      for (const role of roles.length ? roles : fw.roles) fw.suppressedRoles.add(role);
      ctx.count("master/messages_suppress_offers");
      return;
    }
    case "KILL":
      return kill(ctx, fw, call.kill!);
    case "SHUTDOWN": {
      const { executor_id, agent_id } = call.shutdown!;
      for (const task of fw.tasks.values()) {
        if (task.executorId === executor_id.value && task.agentId === agent_id.value) {
          ctx.agents.get(task.agentId)?.stream?.send({ type: "KILL_TASK", kill_task: { framework_id: { value: fw.id }, task_id: task.info.task_id } });
        }
      }
      return;
    }
    case "ACKNOWLEDGE": {
      const { agent_id, task_id, uuid } = call.acknowledge!;
      if (Buffer.from(uuid, "base64").length !== 16) {
        throw new CaravelError("INVALID_REQUEST", "'acknowledge.uuid' must be the base64 of exactly 16 bytes, as received in the update", { path: "acknowledge.uuid" });
      }
      ctx.count("master/messages_status_update_acknowledgement");
      acknowledge(ctx, fw, agent_id.value, task_id.value, uuid);
      const agent = ctx.agents.get(agent_id.value);
      if (agent) void checkDrained(ctx, agent);
      return;
    }
    case "RECONCILE":
      ctx.count("master/messages_reconcile_tasks");
      return reconcile(ctx, fw, call.reconcile?.tasks ?? []);
    case "UPDATE_FRAMEWORK": {
      const update = call.update_framework!;
      const error = updateFrameworkInfo(ctx, fw, update.framework_info, update.suppressed_roles);
      if (error) throw new CaravelError("INVALID_REQUEST", error, { path: "update_framework.framework_info" });
      return;
    }
    case "ACCEPT_INVERSE_OFFERS":
      return answerInverseOffers(ctx, fw, call.accept_inverse_offers?.inverse_offer_ids ?? [], true);
    case "DECLINE_INVERSE_OFFERS":
      return answerInverseOffers(ctx, fw, call.decline_inverse_offers?.inverse_offer_ids ?? [], false);
    case "ACKNOWLEDGE_OPERATION_STATUS":
    case "RECONCILE_OPERATIONS":
    case "MESSAGE":
    case "REQUEST":
      // Accepted and ignored: Caravel runs no custom executors, and the built-in allocator ignores requests (as Mesos').
      return;
    default:
      throw new CaravelError("NOT_IMPLEMENTED", `call type ${call.type} is not supported`);
  }
}

function kill(ctx: MasterContext, fw: FrameworkRecord, k: NonNullable<Call["kill"]>): void {
  ctx.count("master/messages_kill_task");
  const task = fw.tasks.get(k.task_id.value) ?? fw.unreachableTasks.get(k.task_id.value);
  if (!task) {
    const answer = unknownTaskState(ctx, fw, k.agent_id?.value);
    if (answer) sendOrphanUpdate(ctx, fw, k.task_id.value, k.agent_id?.value, answer, "REASON_RECONCILIATION", "Attempted to kill an unknown task");
    return;
  }
  const agent = ctx.agents.get(task.agentId);
  agent?.stream?.send({
    type: "KILL_TASK",
    kill_task: { framework_id: { value: fw.id }, task_id: task.info.task_id, kill_policy: k.kill_policy ?? task.info.kill_policy },
  });
}

/** What the master answers for a task it does not know (mesos-core.md §3.4); undefined = no answer yet. */
function unknownTaskState(ctx: MasterContext, fw: FrameworkRecord, agentId: string | undefined): TaskState | undefined {
  const aware = hasCapability(fw.info, "PARTITION_AWARE");
  if (agentId === undefined) return ctx.recoveredAgents.size > 0 ? undefined : aware ? "TASK_UNKNOWN" : "TASK_LOST";
  if (ctx.recoveredAgents.has(agentId)) return undefined;
  if (ctx.goneAgents.has(agentId)) return aware ? "TASK_GONE_BY_OPERATOR" : "TASK_LOST";
  const agent = ctx.agents.get(agentId);
  if (!agent) return aware ? "TASK_UNKNOWN" : "TASK_LOST";
  if (agent.state === "UNREACHABLE") return aware ? "TASK_UNREACHABLE" : "TASK_LOST";
  return aware ? "TASK_GONE" : "TASK_LOST";
}

function reconciliationStatus(ctx: MasterContext, task: TaskRecord): TaskStatus {
  const latest = task.statuses.at(-1);
  return {
    task_id: task.info.task_id,
    state: task.statusUpdateState ?? task.state,
    source: "SOURCE_MASTER",
    reason: "REASON_RECONCILIATION",
    message: "Reconciliation: Latest task state",
    agent_id: { value: task.agentId },
    executor_id: task.executorId ? { value: task.executorId } : undefined,
    timestamp: ctx.nowSeconds(),
    healthy: latest?.healthy,
    container_status: latest?.container_status,
    unreachable_time: task.unreachableTime === undefined ? undefined : { nanoseconds: task.unreachableTime },
  };
}

export function reconcile(ctx: MasterContext, fw: FrameworkRecord, tasks: Array<{ task_id: { value: string }; agent_id?: { value: string } }>): void {
  if (tasks.length === 0) {
    for (const task of [...fw.tasks.values(), ...fw.unreachableTasks.values()]) {
      sendToFramework(fw, { type: "UPDATE", update: { status: reconciliationStatus(ctx, task) } });
    }
    return;
  }
  for (const { task_id, agent_id } of tasks) {
    const task = fw.tasks.get(task_id.value) ?? fw.unreachableTasks.get(task_id.value);
    if (task) {
      sendToFramework(fw, { type: "UPDATE", update: { status: reconciliationStatus(ctx, task) } });
      continue;
    }
    const state = unknownTaskState(ctx, fw, agent_id?.value);
    if (state) sendOrphanUpdate(ctx, fw, task_id.value, agent_id?.value, state, "REASON_RECONCILIATION", "Reconciliation: Task is unknown");
  }
}
