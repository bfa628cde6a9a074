/**
 * `/master/state` at Mesos' benchmark size: 20,000 agents, 200,000 running and 200,000 completed tasks
 * (200 frameworks × 1,000 of each, since completed tasks are bounded per framework as in Mesos).
 * The state is built directly in the master's memory, then fetched over HTTP; the whole body is read.
 * One cold request (every fragment serialised) is reported apart from the median of the warm ones.
 * Peer: Mesos 1.7 serves the same size in ≈3 s (published; Mesos cannot be built on this machine).
 * Goals: ≤ 1 s, and master RSS ≤ 4 GiB at that size.
 */
import { parseResources, type TaskInfo } from "@caravel/api";
import { MasterConfig, createMaster, newAgentRecord, newFrameworkRecord, taskKey, type AgentRecord, type FrameworkRecord, type TaskRecord } from "@caravel/master";
import { silentLogger } from "@caravel/runtime";
import { execFile } from "node:child_process";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { promisify } from "node:util";
import { median, record } from "./lib/record.js";

const run = promisify(execFile);

const AGENTS = Number(process.env["AGENTS"] ?? 20_000);
const FRAMEWORKS = 200;
const RUNNING_PER_FRAMEWORK = Number(process.env["TASKS_PER_FRAMEWORK"] ?? 1000);
const RUNS = Number(process.env["RUNS"] ?? 5);
/** Tasks that get a new status between two requests (0: Mesos' benchmark, where nothing changes). */
const CHURN = Number(process.env["CHURN"] ?? 0);
const MESOS_SECONDS = 3;

const config = MasterConfig.parse({ port: 0, allocation_interval: 3600, agent_ping_timeout: 3600, max_completed_tasks_per_framework: RUNNING_PER_FRAMEWORK });
const master = await createMaster({ config, log: silentLogger() });
const { url } = await master.listen();
const ctx = master.ctx;
const agentResources = parseResources("cpus:24;mem:4096;disk:4096;ports:[31000-32000]");
const taskResources = parseResources("cpus:0.1;mem:32;ports:[31000-31000]");

const agents: AgentRecord[] = [];
for (let i = 0; i < AGENTS; i++) {
  const id = `${ctx.masterInfo.id}-S${i}`;
  const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const info = { hostname: `agent-${i}`, port: 5051, resources: agentResources, attributes: [{ name: "rack", type: "TEXT" as const, text: { value: `r${i % 40}` } }], id: { value: id } };
  const agent: AgentRecord = {
    ...newAgentRecord(id, info, ip, 5051, Date.now()),
    total: agentResources,
    capabilities: ["MULTI_ROLE"],
    containerizers: ["mesos"],
    version: "1.11.0",
  };
  agents.push(agent);
  ctx.agents.set(id, agent);
}

function makeTask(fw: FrameworkRecord, n: number, state: "TASK_RUNNING" | "TASK_FINISHED"): TaskRecord {
  const agent = agents[(fw.tasks.size + fw.completedTasks.length + n * 7) % agents.length]!;
  const id = `${fw.info.name}.${state === "TASK_RUNNING" ? "r" : "c"}${n}`;
  const info: TaskInfo = {
    name: id,
    task_id: { value: id },
    agent_id: { value: agent.id },
    resources: taskResources,
    command: { uris: [], shell: true, value: "sleep 3600", arguments: [] },
    labels: { labels: [{ key: "owner", value: "bench" }] },
  };
  const status = { task_id: info.task_id, state, timestamp: Date.now() / 1000, container_status: { network_infos: [{ ip_addresses: [{ protocol: "IPv4" as const, ip_address: agent.ip }], groups: [], port_mappings: [] }] } };
  return { frameworkId: fw.id, agentId: agent.id, info, resources: info.resources, role: "*", state, statuses: [status], released: state !== "TASK_RUNNING", revision: 0 };
}

for (let f = 0; f < FRAMEWORKS; f++) {
  const id = `${ctx.masterInfo.id}-${String(f).padStart(4, "0")}`;
  const fw = newFrameworkRecord(id, { user: "root", name: `fw${f}`, failover_timeout: 0, checkpoint: true, roles: [], capabilities: [] }, Date.now());
  ctx.frameworks.set(id, fw);
  for (let n = 0; n < RUNNING_PER_FRAMEWORK; n++) {
    const t = makeTask(fw, n, "TASK_RUNNING");
    fw.tasks.set(t.info.task_id.value, t);
    ctx.agents.get(t.agentId)!.tasks.add(taskKey(fw.id, t.info.task_id.value));
    fw.completedTasks.push(makeTask(fw, n, "TASK_FINISHED"));
  }
}
if (global.gc) global.gc();

let bytes = 0;
let peakRss = process.memoryUsage().rss;
// The client is curl in its own process, so that reading 200 MiB does not compete with the master's
// event loop (the master runs in this process).
async function fetchState(): Promise<number> {
  const started = performance.now();
  const { stdout } = await run("curl", ["-s", "-o", "/dev/null", "-w", "%{size_download}", `${url}/master/state`]);
  const elapsed = performance.now() - started;
  bytes = Number(stdout);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  return elapsed;
}
// The first request after a start serialises every task and agent (the caches are empty); the
// following ones, like every poll of Mesos-DNS or a UI, only what changed. Both are reported.
// The longest the master's event loop was kept from other work (pings, scheduler calls) while serving.
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
const cold = await fetchState();
const coldStallMs = loop.max / 1e6;
loop.reset();
const times: number[] = [];
const running = [...ctx.frameworks.values()].flatMap((fw) => [...fw.tasks.values()]);
for (let i = 0; i < RUNS; i++) {
  // A status update as core/tasks.ts applies it: same state, a new timestamp, a new revision.
  for (let c = 0; c < CHURN; c++) {
    const task = running[Math.floor(Math.random() * running.length)]!;
    task.statuses = [{ ...task.statuses[0]!, timestamp: Date.now() / 1000 }];
    task.revision++;
  }
  times.push(await fetchState());
}
const warmStallMs = loop.max / 1e6;
loop.disable();
await master.close();

const ms = median(times);
const rssGiB = peakRss / 2 ** 30;
console.log({ cold: Math.round(cold), times: times.map((t) => Math.round(t)), bytes, rssGiB: rssGiB.toFixed(2), coldStallMs: Math.round(coldStallMs), warmStallMs: Math.round(warmStallMs) });
record({
  benchmark: "master /master/state, Mesos benchmark size",
  settings: `${AGENTS} agents, ${FRAMEWORKS * RUNNING_PER_FRAMEWORK} running + ${FRAMEWORKS * RUNNING_PER_FRAMEWORK} completed tasks, ${(bytes / 2 ** 20).toFixed(0)} MiB body, curl client, median of ${RUNS} after one cold request that fills the caches${CHURN ? `, ${CHURN} random tasks updated before each request` : ""}`,
  caravel: `${(ms / 1000).toFixed(2)} s (cold ${(cold / 1000).toFixed(1)} s); peak RSS ${rssGiB.toFixed(2)} GiB; longest event-loop stall ${Math.round(warmStallMs)} ms warm, ${Math.round(coldStallMs)} ms cold`,
  peer: `Mesos 1.7 ≈${MESOS_SECONDS} s (published)`,
  ratio: `${(ms / 1000 / MESOS_SECONDS).toFixed(2)}× Mesos (goal ≤ 1 s, RSS ≤ 4 GiB)`,
});
process.exit(0);
