/**
 * Framework lifecycle (mesos-core.md §1.2, §1.7): subscription and re-subscription, disconnection
 * with its failover timer, removal (teardown or failover timeout), and FrameworkInfo updates.
 */
import { frameworkRoles, hasCapability, type FrameworkInfo, type TaskStatus } from "@caravel/api";
import type { EventStream } from "../state/stream.js";
import { newFrameworkRecord, type FrameworkRecord } from "../state/types.js";
import { v1Framework } from "../views/v1.js";
import type { MasterContext } from "./context.js";
import { recoverFrameworkOffers } from "./offers.js";
import { applyStatus } from "./tasks.js";
import { minAllocatableFor } from "./roles.js";
import { invalidRoleReason } from "./roles.js";
import { resendInverseOffers } from "./drain.js";

const MAX_FAILOVER_SECONDS = 365 * 24 * 3600 * 100;

/** Semantic checks of a SUBSCRIBE; a message means "answer with an ERROR event". */
export function subscribeError(ctx: MasterContext, info: FrameworkInfo, suppressedRoles: string[]): string | undefined {
  const multiRole = hasCapability(info, "MULTI_ROLE");
  if (multiRole && info.role !== undefined) return "'FrameworkInfo.role' must not be set together with the MULTI_ROLE capability; use 'roles'";
  if (!multiRole && info.roles.length > 0) return "'FrameworkInfo.roles' needs the MULTI_ROLE capability; use 'role' or add the capability";
  const roles = frameworkRoles(info);
  for (const role of roles) {
    const reason = invalidRoleReason(role);
    if (reason) return `invalid role '${role}': ${reason}`;
  }
  for (const role of suppressedRoles) if (!roles.includes(role)) return `suppressed role '${role}' is not one of the framework's roles`;
  if (!Number.isFinite(info.failover_timeout) || info.failover_timeout < 0 || info.failover_timeout > MAX_FAILOVER_SECONDS) {
    return `invalid 'failover_timeout' ${info.failover_timeout}: must be a non-negative number of seconds`;
  }
  const id = info.id?.value;
  if (id && ctx.completedFrameworks.some((f) => f.id === id)) return "Framework has been removed";
  return undefined;
}

function allocatorFramework(ctx: MasterContext, fw: FrameworkRecord) {
  return {
    id: fw.id,
    roles: fw.roles,
    capabilities: fw.info.capabilities.map((c) => c.type),
    suppressedRoles: [...fw.suppressedRoles],
    minAllocatable: minAllocatableFor(fw.info),
  };
}

/** Subscribes (or re-subscribes) a framework on `stream`. Call `subscribeError` first. */
export function subscribeFramework(ctx: MasterContext, info: FrameworkInfo, suppressedRoles: string[], stream: EventStream, streamId: string): FrameworkRecord {
  const requestedId = info.id?.value;
  let fw = requestedId ? ctx.frameworks.get(requestedId) : undefined;
  const isNew = !fw;
  if (!fw) {
    fw = newFrameworkRecord(requestedId ?? ctx.ids.framework(), info, ctx.now());
    ctx.frameworks.set(fw.id, fw);
    fw.suppressedRoles = new Set(suppressedRoles);
    ctx.allocator.addFramework(allocatorFramework(ctx, fw));
  } else {
    if (fw.stream && !fw.stream.closed) {
      fw.stream.send({ type: "ERROR", error: { message: "Framework failed over" } });
      fw.stream.end();
    }
    if (fw.failoverTimer) clearTimeout(fw.failoverTimer);
    fw.failoverTimer = undefined;
    recoverFrameworkOffers(ctx, fw);
    // user, checkpoint and principal cannot change on re-subscription.
    fw.info = { ...info, id: { value: fw.id }, user: fw.info.user, checkpoint: fw.info.checkpoint, principal: fw.info.principal ?? info.principal };
    fw.roles = frameworkRoles(fw.info);
    fw.suppressedRoles = new Set(suppressedRoles);
    fw.reregisteredTime = ctx.now();
    ctx.allocator.updateFramework(allocatorFramework(ctx, fw));
  }
  fw.recovered = false;
  fw.connected = true;
  fw.stream = stream;
  fw.streamId = streamId;
  fw.unregisteredTime = undefined;
  ctx.allocator.activateFramework(fw.id);
  if (fw.suppressedRoles.size > 0) ctx.allocator.suppress(fw.id, [...fw.suppressedRoles]);

  stream.send({
    type: "SUBSCRIBED",
    subscribed: { framework_id: { value: fw.id }, heartbeat_interval_seconds: ctx.config.heartbeat_interval, master_info: ctx.masterInfo },
  });
  stream.send({ type: "HEARTBEAT" });
  stream.startHeartbeats(ctx.config.heartbeat_interval * 1000);
  const subscribed = fw;
  stream.onClose(() => disconnectFramework(ctx, subscribed, stream));
  resendInverseOffers(ctx, fw);

  ctx.count(isNew ? "master/messages_register_framework" : "master/messages_reregister_framework");
  ctx.bus.publish(isNew ? { type: "FRAMEWORK_ADDED", framework_added: { framework: v1Framework(fw) } } : { type: "FRAMEWORK_UPDATED", framework_updated: { framework: v1Framework(fw) } });
  ctx.log.info({ frameworkId: fw.id, name: fw.info.name, resubscribed: !isNew }, "framework subscribed");
  ctx.requestAllocation();
  return fw;
}

/** Creates an inactive framework entry from an agent's re-registration (its scheduler has not subscribed yet). */
export function recoverFramework(ctx: MasterContext, info: FrameworkInfo): FrameworkRecord {
  const id = info.id!.value;
  const existing = ctx.frameworks.get(id);
  if (existing) return existing;
  const fw = newFrameworkRecord(id, info, ctx.now());
  fw.recovered = true;
  ctx.frameworks.set(id, fw);
  ctx.allocator.addFramework(allocatorFramework(ctx, fw));
  ctx.allocator.deactivateFramework(id);
  startFailoverTimer(ctx, fw);
  ctx.bus.publish({ type: "FRAMEWORK_ADDED", framework_added: { framework: v1Framework(fw) } });
  return fw;
}

function startFailoverTimer(ctx: MasterContext, fw: FrameworkRecord): void {
  if (fw.failoverTimer) clearTimeout(fw.failoverTimer);
  const ms = Math.min(fw.info.failover_timeout * 1000, 2 ** 31 - 1);
  fw.failoverTimer = setTimeout(() => {
    if (!fw.connected && ctx.frameworks.get(fw.id) === fw) {
      ctx.log.info({ frameworkId: fw.id }, "framework failover timeout expired; removing it");
      removeFramework(ctx, fw);
    }
  }, ms);
  fw.failoverTimer.unref();
}

function disconnectFramework(ctx: MasterContext, fw: FrameworkRecord, stream: EventStream): void {
  if (fw.stream !== stream || ctx.frameworks.get(fw.id) !== fw) return;
  fw.connected = false;
  fw.stream = undefined;
  fw.streamId = undefined;
  fw.unregisteredTime = ctx.now();
  ctx.allocator.deactivateFramework(fw.id);
  recoverFrameworkOffers(ctx, fw);
  ctx.log.info({ frameworkId: fw.id, failoverTimeout: fw.info.failover_timeout }, "framework disconnected");
  ctx.bus.publish({ type: "FRAMEWORK_UPDATED", framework_updated: { framework: v1Framework(fw) } });
  startFailoverTimer(ctx, fw);
}

/** Removes a framework for good: its tasks are killed on the agents and its id can never subscribe again. */
export function removeFramework(ctx: MasterContext, fw: FrameworkRecord): void {
  if (fw.failoverTimer) clearTimeout(fw.failoverTimer);
  recoverFrameworkOffers(ctx, fw);
  const agents = new Set<string>();
  for (const task of [...fw.tasks.values(), ...fw.unreachableTasks.values()]) {
    agents.add(task.agentId);
    task.released = true; // the allocator drops the whole framework below
    const status: TaskStatus = {
      task_id: task.info.task_id,
      state: "TASK_KILLED",
      source: "SOURCE_MASTER",
      reason: "REASON_FRAMEWORK_REMOVED",
      message: "Framework removed",
      agent_id: { value: task.agentId },
      timestamp: ctx.nowSeconds(),
    };
    applyStatus(ctx, fw, task, status, "TASK_KILLED");
  }
  for (const agentId of agents) {
    ctx.agents.get(agentId)?.stream?.send({ type: "SHUTDOWN_FRAMEWORK", shutdown_framework: { framework_id: { value: fw.id } } });
  }
  ctx.allocator.removeFramework(fw.id);
  ctx.frameworks.delete(fw.id);
  fw.connected = false;
  fw.unregisteredTime = ctx.now();
  ctx.completedFrameworks.push(fw);
  const max = ctx.config.max_completed_frameworks;
  if (ctx.completedFrameworks.length > max) ctx.completedFrameworks.splice(0, ctx.completedFrameworks.length - max);
  if (fw.stream && !fw.stream.closed) fw.stream.end();
  fw.stream = undefined;
  ctx.bus.publish({ type: "FRAMEWORK_REMOVED", framework_removed: { framework_info: fw.info } });
  ctx.log.info({ frameworkId: fw.id }, "framework removed");
}

/** UPDATE_FRAMEWORK: mutable fields change; user, checkpoint and principal may not. */
export function updateFrameworkInfo(ctx: MasterContext, fw: FrameworkRecord, info: FrameworkInfo, suppressedRoles: string[]): string | undefined {
  if (info.id?.value && info.id.value !== fw.id) return "'framework_info.id' does not match the framework";
  if (info.user !== fw.info.user) return "'framework_info.user' cannot be changed";
  if (info.checkpoint !== fw.info.checkpoint) return "'framework_info.checkpoint' cannot be changed";
  if ((info.principal ?? undefined) !== (fw.info.principal ?? undefined)) return "'framework_info.principal' cannot be changed";
  const error = subscribeError(ctx, { ...info, id: undefined }, suppressedRoles);
  if (error) return error;
  fw.info = { ...info, id: { value: fw.id } };
  fw.roles = frameworkRoles(fw.info);
  fw.suppressedRoles = new Set(suppressedRoles);
  ctx.allocator.updateFramework(allocatorFramework(ctx, fw));
  ctx.bus.publish({ type: "FRAMEWORK_UPDATED", framework_updated: { framework: v1Framework(fw) } });
  ctx.requestAllocation();
  return undefined;
}
