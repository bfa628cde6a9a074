/**
 * Operator actions on agents and roles: drain, deactivate, reactivate, mark gone; quota and weights;
 * the maintenance schedule (mesos-core.md §4.1, §5.7). Each durable change is written to the registry
 * before it takes effect.
 */
import { CaravelError, type MaintenanceSchedule, type QuotaConfig } from "@caravel/api";
import type { AgentRecord } from "../state/types.js";
import type { MasterContext } from "./context.js";
import { persistAgent, stopWaiting } from "./drain.js";
import { rescindAgentOffers } from "./offers.js";

export interface MaintenanceState {
  schedule: MaintenanceSchedule;
  quotas: Map<string, QuotaConfig>;
  weights: Map<string, number>;
}

export function requireAgent(ctx: MasterContext, agentId: string): AgentRecord {
  const agent = ctx.agents.get(agentId);
  if (!agent) throw new CaravelError("NOT_FOUND", `Agent ${agentId} is not registered with this master`, { path: "agent_id" });
  return agent;
}

export async function deactivateAgent(ctx: MasterContext, agent: AgentRecord): Promise<void> {
  agent.deactivated = true;
  await persistAgent(ctx, agent);
  ctx.allocator.deactivateAgent(agent.id);
  rescindAgentOffers(ctx, agent.id);
}

export async function reactivateAgent(ctx: MasterContext, agent: AgentRecord): Promise<void> {
  if (!agent.deactivated) throw new CaravelError("INVALID_REQUEST", `Agent ${agent.id} is not deactivated or draining`, { path: "agent_id" });
  agent.deactivated = false;
  stopWaiting(agent);
  agent.drain = undefined;
  await persistAgent(ctx, agent);
  if (agent.state === "REGISTERED") ctx.allocator.activateAgent(agent.id);
  ctx.requestAllocation();
}

export async function setQuotas(ctx: MasterContext, state: MaintenanceState, configs: QuotaConfig[]): Promise<void> {
  for (const [i, config] of configs.entries()) {
    if (!config.role || config.role === "*") throw new CaravelError("INVALID_REQUEST", `quota_configs[${i}].role must name a role other than '*'`, { path: `quota_configs[${i}].role` });
    if (config.role.includes("/")) throw new CaravelError("INVALID_REQUEST", `quota_configs[${i}].role: quota is only supported on top-level roles`, { path: `quota_configs[${i}].role` });
    for (const [name, value] of Object.entries({ ...config.guarantees, ...config.limits })) {
      if (!(value.value >= 0)) throw new CaravelError("INVALID_REQUEST", `quota_configs[${i}] ${name} must be a non-negative number`, { path: `quota_configs[${i}]` });
    }
    for (const [name, g] of Object.entries(config.guarantees ?? {})) {
      const limit = config.limits?.[name];
      if (limit && limit.value < g.value) throw new CaravelError("INVALID_REQUEST", `quota_configs[${i}]: guarantee ${name}=${g.value} exceeds limit ${limit.value}`, { path: `quota_configs[${i}]` });
    }
  }
  const next = new Map(state.quotas);
  for (const config of configs) {
    const empty = Object.keys(config.guarantees ?? {}).length === 0 && Object.keys(config.limits ?? {}).length === 0;
    if (empty) next.delete(config.role);
    else next.set(config.role, config);
  }
  await ctx.deps.registry.putQuotas([...next.values()]);
  state.quotas = next;
  for (const config of configs) {
    const scalars = (m?: Record<string, { value: number }>) => (m ? Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.value])) : undefined);
    ctx.allocator.setQuota(config.role, state.quotas.has(config.role) ? { guarantees: scalars(config.guarantees), limits: scalars(config.limits) } : undefined);
  }
  ctx.requestAllocation();
}

export async function setWeights(ctx: MasterContext, state: MaintenanceState, weights: Array<{ role: string; weight: number }>): Promise<void> {
  for (const [i, w] of weights.entries()) {
    if (!(w.weight > 0)) throw new CaravelError("INVALID_REQUEST", `weight_infos[${i}].weight must be a positive number`, { path: `weight_infos[${i}].weight` });
  }
  const next = new Map(state.weights);
  for (const w of weights) next.set(w.role, w.weight);
  await ctx.deps.registry.putWeights(Object.fromEntries(next));
  state.weights = next;
  ctx.allocator.setWeights(Object.fromEntries(next));
}

export async function setSchedule(ctx: MasterContext, state: MaintenanceState, schedule: MaintenanceSchedule): Promise<void> {
  for (const [i, window] of schedule.windows.entries()) {
    if (window.machine_ids.length === 0) throw new CaravelError("INVALID_REQUEST", `windows[${i}].machine_ids must list at least one machine`, { path: `windows[${i}].machine_ids` });
    for (const [j, m] of window.machine_ids.entries()) {
      if (!m.hostname && !m.ip) throw new CaravelError("INVALID_REQUEST", `windows[${i}].machine_ids[${j}] needs a hostname or an ip`, { path: `windows[${i}].machine_ids[${j}]` });
    }
  }
  await ctx.deps.registry.putMaintenance(schedule);
  state.schedule = schedule;
}

/** Machines in the schedule, as GET_MAINTENANCE_STATUS reports them. */
export function maintenanceStatus(ctx: MasterContext, state: MaintenanceState): Record<string, unknown> {
  const draining = state.schedule.windows.flatMap((w) => w.machine_ids).map((id) => ({ id, statuses: [] }));
  const drainingAgents = [...ctx.agents.values()].filter((a) => a.drain).map((a) => ({ id: { hostname: a.info.hostname, ip: a.ip }, statuses: [] }));
  return { status: { draining_machines: [...draining, ...drainingAgents], down_machines: [] } };
}
