/**
 * The large legacy documents (`/master/state`, `/master/frameworks`, `/master/slaves`,
 * `/master/state-summary`) written from serialised fragments that are kept between requests: task
 * lists as blocks of JSON (task-blocks.ts), each agent's and each framework head's JSON until one of
 * its inputs changes (fragments.ts). The bytes are exactly those of JSON.stringify over the objects
 * of legacy.ts (legacy-stream.test.ts compares them); only the work of producing them again is saved.
 * The one exception: state-summary lists an agent's framework ids in framework order.
 */
import type { TaskState } from "@caravel/api";
import type { MasterContext } from "../core/context.js";
import type { AgentRecord, FrameworkRecord, TaskRecord } from "../state/types.js";
import type { ChunkWriter } from "./chunk-writer.js";
import { agentJson, frameworkHeadJson, withAgentPass } from "./fragments.js";
import { legacyTask, stateHead } from "./legacy.js";
import { taskListBlocks } from "./task-blocks.js";

const taskJson = (task: TaskRecord): string => JSON.stringify(legacyTask(task));

const isListed = (a: AgentRecord): boolean => a.state === "REGISTERED" || a.state === "DISCONNECTED";

/** Agents known from the registry that have not re-registered since failover. */
const recoveredJson = (ctx: MasterContext): string => JSON.stringify([...ctx.recoveredAgents].map(([id, a]) => ({ id, hostname: a.hostname, port: a.port })));

/** `{"a":1}` → `{"a":1,` so that more keys can follow (JSON.stringify of a non-empty object). */
const open = (json: string): string => (json === "{}" ? "{" : json.slice(0, -1) + ",");

async function writeTaskList(w: ChunkWriter, list: Map<string, TaskRecord> | TaskRecord[]): Promise<void> {
  await w.text("[");
  let first = true;
  for (const block of taskListBlocks(list, taskJson)) {
    if (!first) w.appendText(",");
    first = false;
    await w.text(block);
  }
  await w.text("]");
}

async function writeFramework(w: ChunkWriter, fw: FrameworkRecord): Promise<void> {
  await w.text(open(frameworkHeadJson(fw)) + '"tasks":');
  await writeTaskList(w, fw.tasks);
  await w.text(',"unreachable_tasks":');
  await writeTaskList(w, fw.unreachableTasks);
  await w.text(',"completed_tasks":');
  await writeTaskList(w, fw.completedTasks);
  await w.text("}");
}

async function writeFrameworkArray(w: ChunkWriter, frameworks: Iterable<FrameworkRecord>): Promise<void> {
  await w.text("[");
  let first = true;
  for (const fw of frameworks) {
    if (!first) await w.text(",");
    first = false;
    await writeFramework(w, fw);
  }
  await w.text("]");
}

/** Writes the whole `/master/state` document (the caller flushes the writer). */
export async function writeState(ctx: MasterContext, flags: Record<string, string>, w: ChunkWriter): Promise<void> {
  await w.text(open(JSON.stringify(stateHead(ctx, flags))) + '"slaves":[');
  await withAgentPass(ctx, async (pass) => {
    let first = true;
    for (const agent of ctx.agents.values()) {
      if (!isListed(agent)) continue;
      if (!first) w.appendText(",");
      first = false;
      await w.bytes(agentJson(ctx, agent, pass));
    }
  });
  await w.text("]");
  await w.text(',"recovered_slaves":' + recoveredJson(ctx) + ',"frameworks":');
  await writeFrameworkArray(w, ctx.frameworks.values());
  await w.text(',"completed_frameworks":');
  await writeFrameworkArray(w, ctx.completedFrameworks.slice());
  await w.text("}");
}

/** Writes `/master/frameworks`, optionally only the framework with `id`. */
export async function writeFrameworks(ctx: MasterContext, id: string | null, w: ChunkWriter): Promise<void> {
  const wanted = (fw: FrameworkRecord) => !id || fw.id === id;
  await w.text('{"frameworks":');
  await writeFrameworkArray(w, [...ctx.frameworks.values()].filter(wanted));
  await w.text(',"completed_frameworks":');
  await writeFrameworkArray(w, ctx.completedFrameworks.filter(wanted));
  await w.text(',"unregistered_frameworks":[]}');
}

/** `/master/slaves`, optionally only the agent with `id`. */
export async function slavesJson(ctx: MasterContext, id: string | null): Promise<string> {
  const slaves: string[] = [];
  await withAgentPass(ctx, (pass) => {
    for (const a of ctx.agents.values()) if (isListed(a) && (!id || a.id === id)) slaves.push(agentJson(ctx, a, pass).toString("utf8"));
  });
  return `{"slaves":[${slaves.join(",")}],"recovered_slaves":${recoveredJson(ctx)}}`;
}

const SUMMARY_STATES: TaskState[] = ["TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_FINISHED", "TASK_KILLED", "TASK_FAILED", "TASK_LOST", "TASK_ERROR", "TASK_UNREACHABLE"];

function zeroCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of SUMMARY_STATES) counts[s] = 0;
  return counts;
}

function countInto(counts: Record<string, number>, tasks: Iterable<TaskRecord>): void {
  for (const t of tasks) counts[t.state] = (counts[t.state] ?? 0) + 1;
}

interface AgentTaskStats {
  counts: Record<string, number>;
  frameworkIds: string[];
}

/**
 * Task counts and framework ids per agent, in one pass over the frameworks' active and unreachable
 * tasks (the tasks the agent has, as `agent.tasks` lists them) instead of looking up every task key
 * of every agent. Framework ids come in framework order.
 */
function taskStatsByAgent(ctx: MasterContext): Map<string, AgentTaskStats> {
  const out = new Map<string, AgentTaskStats>();
  for (const fw of ctx.frameworks.values()) {
    for (const list of [fw.tasks, fw.unreachableTasks]) {
      for (const t of list.values()) {
        let stats = out.get(t.agentId);
        if (!stats) out.set(t.agentId, (stats = { counts: zeroCounts(), frameworkIds: [] }));
        stats.counts[t.state] = (stats.counts[t.state] ?? 0) + 1;
        if (stats.frameworkIds.at(-1) !== fw.id) stats.frameworkIds.push(fw.id);
      }
    }
  }
  return out;
}

/** Writes `/master/state-summary`: agents and frameworks with task counts by state, without the tasks. */
export async function writeStateSummary(ctx: MasterContext, w: ChunkWriter): Promise<void> {
  await w.text(open(JSON.stringify({ hostname: ctx.masterInfo.hostname, cluster: ctx.config.cluster })) + '"slaves":[');
  await withAgentPass(ctx, async (pass) => {
    const stats = taskStatsByAgent(ctx);
    let first = true;
    for (const a of ctx.agents.values()) {
      if (!isListed(a)) continue;
      const s = stats.get(a.id);
      const json = agentJson(ctx, a, pass);
      if (!first) w.appendText(",");
      first = false;
      // The agent's cached JSON without its closing brace, then the counts as more keys.
      w.appendBytes(json.subarray(0, json.length - 1));
      await w.text("," + JSON.stringify({ ...(s?.counts ?? zeroCounts()), framework_ids: s?.frameworkIds ?? [] }).slice(1));
    }
  });
  await w.text('],"frameworks":[');
  let first = true;
  for (const fw of ctx.frameworks.values()) {
    // The cached head round-trips through JSON.parse unchanged; offers and executors are left out.
    const head = JSON.parse(frameworkHeadJson(fw)) as Record<string, unknown>;
    head["offers"] = undefined;
    head["executors"] = undefined;
    const counts = zeroCounts();
    countInto(counts, fw.tasks.values());
    countInto(counts, fw.unreachableTasks.values());
    countInto(counts, fw.completedTasks);
    const agentIds = new Set<string>();
    for (const t of fw.tasks.values()) agentIds.add(t.agentId);
    Object.assign(head, counts, { slave_ids: [...agentIds] });
    await w.text((first ? "" : ",") + JSON.stringify(head));
    first = false;
  }
  await w.text("]}");
}
