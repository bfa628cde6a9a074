/**
 * Drain without downtime (DESIGN.md; user-asks): DRAIN_AGENT stops offers on the agent and sends
 * every framework with live tasks there an inverse offer, then waits, per framework, before killing
 * that framework's tasks on the agent, until
 *   (a) the framework answers ACCEPT_INVERSE_OFFERS (or DECLINE_INVERSE_OFFERS: "go ahead now"),
 *   (b) the framework's tasks there are all terminal (it moved them itself), or
 *   (c) `--drain_timeout` passes (`0secs`: no wait, Mesos' own behaviour).
 * The contract Marathon's drain support is written against; keep it exactly. Kills cap the grace
 * period at the drain's max_grace_period. The agent reads DRAINING until every task is terminal and
 * acknowledged (DRAINED), and mark_gone then marks it gone. A drain survives a master failover: the
 * registry keeps its config, and the new leader starts the wait again when the agent re-registers.
 */
import { isTerminalState } from "@caravel/api";
import type { AgentRecord, FrameworkRecord, TaskRecord } from "../state/types.js";
import { markGone } from "./agents.js";
import type { MasterContext } from "./context.js";
import { rescindAgentOffers } from "./offers.js";
import { sendToFramework } from "./tasks.js";
import { agentTasks } from "../views/v1.js";

/** Why the master stopped waiting for a framework on a draining agent. */
type Release = "accepted" | "declined" | "moved" | "timeout";

/** The durable part of a drain, as the registry keeps it. */
export function persistedDrain(drain: { maxGracePeriodSeconds?: number; markGone: boolean } | undefined): { maxGracePeriodSeconds?: number; markGone: boolean } | undefined {
  return drain ? { maxGracePeriodSeconds: drain.maxGracePeriodSeconds, markGone: drain.markGone } : undefined;
}

export function persistAgent(ctx: MasterContext, agent: AgentRecord): Promise<unknown> {
  return ctx.deps.registry.putAgent({ id: agent.id, info: agent.info, state: "ADMITTED", deactivated: agent.deactivated, drain: persistedDrain(agent.drain) });
}

export async function drainAgent(ctx: MasterContext, agent: AgentRecord, maxGracePeriodSeconds: number | undefined, markGoneAfter: boolean): Promise<void> {
  stopWaiting(agent);
  agent.deactivated = true;
  agent.drain = { state: "DRAINING", maxGracePeriodSeconds, markGone: markGoneAfter, waiting: new Map() };
  await persistAgent(ctx, agent);
  ctx.allocator.deactivateAgent(agent.id);
  rescindAgentOffers(ctx, agent.id);
  startDrain(ctx, agent);
  await checkDrained(ctx, agent);
}

const liveTasks = (ctx: MasterContext, agent: AgentRecord, frameworkId?: string): TaskRecord[] =>
  agentTasks(ctx, agent).filter((t) => !isTerminalState(t.state) && (frameworkId === undefined || t.frameworkId === frameworkId));

/** Sends the inverse offers and starts the per-framework waits (or kills at once with a 0 timeout). */
export function startDrain(ctx: MasterContext, agent: AgentRecord): void {
  const drain = agent.drain;
  if (drain?.state !== "DRAINING") return;
  drain.waiting ??= new Map();
  const timeoutMs = ctx.config.drain_timeout * 1000;
  for (const frameworkId of new Set(liveTasks(ctx, agent).map((t) => t.frameworkId))) {
    if (drain.waiting.has(frameworkId)) continue;
    const offerId = ctx.ids.offer();
    const fw = ctx.frameworks.get(frameworkId);
    if (fw) sendInverseOffer(ctx, fw, agent, offerId);
    if (timeoutMs <= 0) {
      killTasks(ctx, agent, frameworkId);
      continue;
    }
    const timer = setTimeout(() => release(ctx, agent, frameworkId, "timeout"), timeoutMs);
    timer.unref();
    drain.waiting.set(frameworkId, { offerId, timer });
    ctx.log.info({ agentId: agent.id, frameworkId, inverseOfferId: offerId, timeoutMs }, "drain: waiting for the framework to move its tasks");
  }
}

function sendInverseOffer(ctx: MasterContext, fw: FrameworkRecord, agent: AgentRecord, offerId: string): void {
  sendToFramework(fw, {
    type: "INVERSE_OFFERS",
    inverse_offers: {
      inverse_offers: [{ id: { value: offerId }, framework_id: { value: fw.id }, agent_id: { value: agent.id }, unavailability: { start: { nanoseconds: ctx.now() * 1e6 } }, resources: [] }],
    },
  });
}

/** A framework that (re)subscribes hears again of the drains still waiting for it. */
export function resendInverseOffers(ctx: MasterContext, fw: FrameworkRecord): void {
  for (const agent of ctx.agents.values()) {
    const wait = agent.drain?.waiting?.get(fw.id);
    if (wait) sendInverseOffer(ctx, fw, agent, wait.offerId);
  }
}

/** ACCEPT_INVERSE_OFFERS / DECLINE_INVERSE_OFFERS: either way the master goes ahead with the kills. */
export function answerInverseOffers(ctx: MasterContext, fw: FrameworkRecord, ids: ReadonlyArray<{ value: string }>, accepted: boolean): void {
  const wanted = new Set(ids.map((id) => id.value));
  for (const agent of ctx.agents.values()) {
    const wait = agent.drain?.waiting?.get(fw.id);
    if (wait && wanted.has(wait.offerId)) release(ctx, agent, fw.id, accepted ? "accepted" : "declined");
  }
}

function release(ctx: MasterContext, agent: AgentRecord, frameworkId: string, why: Release): void {
  const wait = agent.drain?.waiting?.get(frameworkId);
  if (!wait) return;
  clearTimeout(wait.timer);
  agent.drain!.waiting!.delete(frameworkId);
  const fw = ctx.frameworks.get(frameworkId);
  // An inverse offer the framework did not answer is withdrawn, as Mesos rescinds stale ones.
  if (fw && (why === "moved" || why === "timeout")) sendToFramework(fw, { type: "RESCIND_INVERSE_OFFER", rescind_inverse_offer: { inverse_offer_id: { value: wait.offerId } } });
  ctx.log.info({ agentId: agent.id, frameworkId, why }, "drain: done waiting for the framework");
  if (why !== "moved") killTasks(ctx, agent, frameworkId);
}

/** Kills a framework's live tasks on the agent, the grace period capped at max_grace_period. */
function killTasks(ctx: MasterContext, agent: AgentRecord, frameworkId: string): void {
  const capNs = agent.drain?.maxGracePeriodSeconds === undefined ? undefined : agent.drain.maxGracePeriodSeconds * 1e9;
  for (const task of liveTasks(ctx, agent, frameworkId)) {
    const policyNs = task.info.kill_policy?.grace_period?.nanoseconds;
    const graceNs = capNs === undefined ? policyNs : Math.min(policyNs ?? capNs, capNs);
    agent.stream?.send({
      type: "KILL_TASK",
      kill_task: {
        framework_id: { value: task.frameworkId },
        task_id: task.info.task_id,
        kill_policy: graceNs === undefined ? undefined : { grace_period: { nanoseconds: graceNs } },
        reason: "REASON_AGENT_DRAINING",
      },
    });
  }
}

/** Stops every wait of a drain (reactivated, or the agent is going away). */
export function stopWaiting(agent: AgentRecord): void {
  for (const wait of agent.drain?.waiting?.values() ?? []) clearTimeout(wait.timer);
  agent.drain?.waiting?.clear();
}

/**
 * After any task change on a draining agent: frameworks whose tasks there are all terminal need no
 * kills; DRAINING becomes DRAINED once every task is terminal and acknowledged.
 */
export async function checkDrained(ctx: MasterContext, agent: AgentRecord): Promise<void> {
  const drain = agent.drain;
  if (drain?.state !== "DRAINING") return;
  for (const frameworkId of [...(drain.waiting?.keys() ?? [])]) {
    if (liveTasks(ctx, agent, frameworkId).length === 0) release(ctx, agent, frameworkId, "moved");
  }
  if (agentTasks(ctx, agent).some((t) => !isTerminalState(t.state) || t.statusUpdateUuid)) return;
  stopWaiting(agent);
  drain.state = "DRAINED";
  ctx.log.info({ agentId: agent.id }, "agent drained");
  if (drain.markGone) await markGone(ctx, agent);
}
