/**
 * ACCEPT and DECLINE (mesos-core.md §1.4–1.5): offers are checked as a whole, operations apply in
 * order against the offered pool, and what is left goes back to the allocator with the filter.
 */
import {
  addResources,
  containsResources,
  hasCapability,
  normalizeResource,
  subtractResources,
  type Call,
  type ExecutorInfo,
  type Filters,
  type Operation,
  type Resource,
  type TaskInfo,
} from "@caravel/api";
import type { AgentRecord, FrameworkRecord, OfferRecord, TaskRecord } from "../state/types.js";
import { validateTask } from "../validation/task.js";
import type { MasterContext } from "./context.js";
import { removeOffer } from "./offers.js";
import { applyOperation } from "./operations.js";
import { addTask, masterUpdate, sendOrphanUpdate } from "./tasks.js";

// Call's inferred type and the standalone message types are the same at runtime, but TypeScript gives
// up on proving it through the nested zod inference; `operationsOf` states it once.
type Accept = NonNullable<Call["accept"]>;
const operationsOf = (call: Accept): Operation[] => call.operations as unknown as Operation[];

function filterOf(ctx: MasterContext, filters: Filters | undefined) {
  let refuse = filters?.refuse_seconds ?? 5;
  if (refuse < 0) refuse = 5;
  refuse = Math.min(refuse, 365 * 24 * 3600);
  return { refuseSeconds: refuse, now: ctx.now(), allocationIntervalMs: ctx.config.allocation_interval * 1000 };
}

/** Checks the offer ids of an ACCEPT/DECLINE; returns the offers or why they are invalid. */
function takeOffers(fw: FrameworkRecord, ids: Array<{ value: string }>): { offers: OfferRecord[]; error?: string } {
  const offers: OfferRecord[] = [];
  if (ids.length === 0) return { offers, error: "No offers specified" };
  const seen = new Set<string>();
  for (const { value } of ids) {
    if (seen.has(value)) return { offers, error: `Offer ${value} appears more than once` };
    seen.add(value);
    const offer = fw.offers.get(value);
    if (!offer) return { offers, error: `Offer ${value} is no longer valid` };
    offers.push(offer);
  }
  const first = offers[0]!;
  if (offers.some((o) => o.agentId !== first.agentId)) return { offers, error: "Aggregated offers must belong to the same agent" };
  if (offers.some((o) => o.role !== first.role)) return { offers, error: "Aggregated offers must be allocated to the same role" };
  return { offers };
}

export function decline(ctx: MasterContext, fw: FrameworkRecord, ids: Array<{ value: string }>, filters: Filters | undefined): void {
  ctx.count("master/messages_decline_offers");
  for (const { value } of ids) {
    const offer = fw.offers.get(value);
    if (!offer) continue;
    removeOffer(fw, offer);
    ctx.allocator.recover(fw.id, offer.agentId, offer.role, offer.resources, filterOf(ctx, filters));
  }
}

export function accept(ctx: MasterContext, fw: FrameworkRecord, call: Accept): void {
  ctx.count("master/messages_accept_offers");
  const { offers, error } = takeOffers(fw, call.offer_ids);
  const aware = hasCapability(fw.info, "PARTITION_AWARE");
  if (error) {
    for (const offer of offers) {
      removeOffer(fw, offer);
      ctx.allocator.recover(fw.id, offer.agentId, offer.role, offer.resources);
    }
    for (const task of launchedTasks(operationsOf(call))) {
      sendOrphanUpdate(ctx, fw, task.task_id.value, task.agent_id.value, aware ? "TASK_DROPPED" : "TASK_LOST", "REASON_INVALID_OFFERS", error);
    }
    ctx.log.info({ frameworkId: fw.id, error }, "ACCEPT with invalid offers");
    return;
  }
  const agent = ctx.agents.get(offers[0]!.agentId)!;
  const role = offers[0]!.role;
  let pool: Resource[] = [];
  for (const offer of offers) {
    removeOffer(fw, offer);
    pool = addResources(pool, offer.resources);
  }
  const launchedIds = new Set<string>();
  for (const operation of operationsOf(call)) {
    switch (operation.type) {
      case "LAUNCH":
        for (const task of operation.launch?.task_infos ?? []) pool = launch(ctx, fw, agent, role, pool, [task], undefined, launchedIds);
        break;
      case "LAUNCH_GROUP":
        if (operation.launch_group) pool = launch(ctx, fw, agent, role, pool, operation.launch_group.task_group.tasks, operation.launch_group.executor, launchedIds);
        break;
      default:
        pool = applyOperation(ctx, fw, agent, role, pool, operation);
    }
  }
  if (pool.length > 0) ctx.allocator.recover(fw.id, agent.id, role, pool, filterOf(ctx, call.filters));
}

function launchedTasks(operations: Operation[]): TaskInfo[] {
  return operations.flatMap((op) => op.launch?.task_infos ?? op.launch_group?.task_group.tasks ?? []);
}

/** Validates and launches one task, or a task group all-or-nothing; returns the pool left. */
function launch(
  ctx: MasterContext,
  fw: FrameworkRecord,
  agent: AgentRecord,
  role: string,
  pool: Resource[],
  tasks: TaskInfo[],
  executor: ExecutorInfo | undefined,
  launchedIds: Set<string>,
): Resource[] {
  const inGroup = executor !== undefined;
  let available = pool;
  const normalized = tasks.map((t) => ({ ...t, resources: t.resources.map(normalizeResource) }));
  const groupIds = new Set<string>();
  let groupError: string | undefined;
  if (inGroup && executor.type === "CUSTOM") groupError = "LAUNCH_GROUP needs an executor of type DEFAULT";
  if (inGroup && normalized.length === 0) groupError = "LAUNCH_GROUP needs at least one task";
  if (inGroup && !groupError) {
    // The group's executor is charged too (Mesos' default executor asks for its own small share).
    const executorResources = executor.resources.map(normalizeResource);
    if (!containsResources(available, executorResources)) groupError = "The executor uses more resources than the offers hold";
    else available = subtractResources(available, executorResources);
  }
  for (const task of groupError ? [] : normalized) {
    const problem = validateTask(task, {
      agentId: agent.id,
      available,
      taskIdInUse: (id) => fw.tasks.has(id) || fw.unreachableTasks.has(id) || launchedIds.has(id) || groupIds.has(id),
      inGroup,
    });
    if (problem) {
      if (!inGroup) {
        sendOrphanUpdate(ctx, fw, task.task_id.value, agent.id, "TASK_ERROR", "REASON_TASK_INVALID", problem);
        return pool;
      }
      groupError = `Task '${task.task_id.value}' of the group is invalid: ${problem}`;
      break;
    }
    groupIds.add(task.task_id.value);
    available = subtractResources(available, task.resources);
  }
  if (groupError) {
    for (const task of normalized) sendOrphanUpdate(ctx, fw, task.task_id.value, agent.id, "TASK_ERROR", "REASON_TASK_GROUP_INVALID", groupError);
    return pool;
  }
  const records: TaskRecord[] = normalized.map((info) => ({
    frameworkId: fw.id,
    agentId: agent.id,
    info,
    resources: info.resources,
    role,
    executorId: executor?.executor_id.value,
    state: "TASK_STAGING",
    statuses: [],
    released: false,
    revision: 0,
  }));
  for (const record of records) {
    launchedIds.add(record.info.task_id.value);
    addTask(ctx, fw, record);
    ctx.count("master/messages_launch_tasks");
  }
  if (!agent.stream || agent.state !== "REGISTERED") {
    const aware = hasCapability(fw.info, "PARTITION_AWARE");
    for (const record of records) masterUpdate(ctx, fw, record, aware ? "TASK_DROPPED" : "TASK_LOST", "REASON_AGENT_DISCONNECTED", "Agent is disconnected");
    return available;
  }
  if (executor) {
    fw.executors.set(executor.executor_id.value, { agentId: agent.id, info: executor });
    agent.stream.send({ type: "RUN_TASK_GROUP", run_task_group: { framework: fw.info, executor, task_group: { tasks: normalized } } });
  } else {
    agent.stream.send({ type: "RUN_TASK", run_task: { framework: fw.info, task: normalized[0] } });
  }
  return available;
}
