/** The master's metrics under Mesos' names (mesos-core.md §4.4), read when scraped. */
import { fixed, isTerminalState, scalarTotals, type TaskState } from "@caravel/api";
import type { MetricsRegistry } from "@caravel/runtime";
import type { MasterContext } from "./core/context.js";

export function registerMasterMetrics(ctx: MasterContext, registry: MetricsRegistry): void {
  const agents = () => [...ctx.agents.values()];
  registry.gauge("master/elected", () => 1);
  registry.gauge("master/uptime_secs", () => (ctx.now() - ctx.startTime) / 1000);
  registry.gauge("master/slaves_active", () => agents().filter((a) => a.state === "REGISTERED" && !a.deactivated).length);
  registry.gauge("master/slaves_connected", () => agents().filter((a) => a.state === "REGISTERED").length);
  registry.gauge("master/slaves_disconnected", () => agents().filter((a) => a.state === "DISCONNECTED").length);
  registry.gauge("master/slaves_inactive", () => agents().filter((a) => a.deactivated).length);
  registry.gauge("master/slaves_unreachable", () => agents().filter((a) => a.state === "UNREACHABLE").length);
  registry.gauge("master/frameworks_active", () => [...ctx.frameworks.values()].filter((f) => f.connected).length);
  registry.gauge("master/frameworks_connected", () => [...ctx.frameworks.values()].filter((f) => f.connected).length);
  registry.gauge("master/frameworks_disconnected", () => [...ctx.frameworks.values()].filter((f) => !f.connected).length);
  registry.gauge("master/frameworks_inactive", () => [...ctx.frameworks.values()].filter((f) => !f.connected).length);
  registry.gauge("master/outstanding_offers", () => [...ctx.frameworks.values()].reduce((n, f) => n + f.offers.size, 0));
  registry.gauge("master/operator_event_stream_subscribers", () => ctx.bus.size);
  // One pass over every task serves all task gauges of a scrape (100,000 tasks: one pass, not thirteen
  // with a resource merge each, which stalled a big master for seconds per scrape and cost it its
  // ZooKeeper session). Gauges of one scrape are read in one turn; the next turn counts again.
  let scan: { states: Map<TaskState, number>; used: Map<string, number> } | undefined;
  const tasks = () => {
    if (scan) return scan;
    const states = new Map<TaskState, number>();
    const used = new Map<string, number>();
    for (const fw of ctx.frameworks.values()) {
      for (const t of fw.tasks.values()) {
        states.set(t.state, (states.get(t.state) ?? 0) + 1);
        if (t.released || isTerminalState(t.state)) continue;
        for (const r of t.resources) if (r.type === "SCALAR") used.set(r.name, (used.get(r.name) ?? 0) + (r.scalar?.value ?? 0));
      }
      for (const t of fw.unreachableTasks.values()) states.set(t.state, (states.get(t.state) ?? 0) + 1);
    }
    scan = { states, used };
    queueMicrotask(() => (scan = undefined));
    return scan;
  };
  const gaugeStates: TaskState[] = ["TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_UNREACHABLE"];
  for (const state of gaugeStates) registry.gauge(`master/tasks_${state.slice(5).toLowerCase()}`, () => tasks().states.get(state) ?? 0);
  for (const name of ["finished", "failed", "killed", "lost", "error", "dropped", "gone", "gone_by_operator"]) {
    registry.gauge(`master/tasks_${name}`, () => ctx.counters[`master/tasks_${name}`] ?? 0);
  }
  for (const name of ["slave_registrations", "slave_reregistrations", "valid_status_updates", "invalid_status_updates", "messages_launch_tasks", "messages_decline_offers", "messages_accept_offers", "messages_revive_offers", "messages_suppress_offers", "messages_kill_task", "messages_reconcile_tasks"]) {
    registry.gauge(`master/${name}`, () => ctx.counters[`master/${name}`] ?? 0);
  }
  // Of the registry's buckets, those the last recovery read itself (a warm standby read the others ahead).
  registry.gauge("registrar/state_fetch_buckets_read", () => ctx.deps.registry.lastLoad?.read ?? 0);
  registry.gauge("allocator/mesos/allocation_runs", () => ctx.counters["allocator/mesos/allocation_runs"] ?? 0);
  for (const resource of ["cpus", "mem", "disk", "gpus"]) {
    const total = () => agents().filter((a) => a.state === "REGISTERED" || a.state === "DISCONNECTED").reduce((n, a) => n + (scalarTotals(a.total)[resource] ?? 0), 0);
    const used = () => fixed(tasks().used.get(resource) ?? 0);
    registry.gauge(`master/${resource}_total`, total);
    registry.gauge(`master/${resource}_used`, used);
    registry.gauge(`master/${resource}_percent`, () => {
      const t = total();
      return t > 0 ? used() / t : 0;
    });
  }
}
