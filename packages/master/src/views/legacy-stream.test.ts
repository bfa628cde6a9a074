/**
 * The streamed, cached legacy documents are byte for byte what JSON.stringify of the plain legacy
 * objects gives (the builder the master used before the caches), also after arbitrary changes to
 * tasks, agents, offers and frameworks: a stale cache entry would show up here as a difference.
 */
import fc from "fast-check";
import { get } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { isTerminalState, parseResources, type Resource, type TaskInfo, type TaskState } from "@caravel/api";
import { startTestMaster } from "../test-support/master.js";
import type { MasterContext } from "../core/context.js";
import { newAgentRecord, newFrameworkRecord, taskKey, type AgentRecord, type FrameworkRecord, type TaskRecord } from "../state/types.js";
import { ChunkWriter, collectingSink } from "./chunk-writer.js";
import { withAgentPass } from "./fragments.js";
import { legacyAgent, legacyFrameworkHead, legacyTask, stateHead } from "./legacy.js";
import { slavesJson, writeFrameworks, writeState, writeStateSummary } from "./legacy-stream.js";
import { blockStats } from "./task-blocks.js";
import { agentTasks, offersByAgent } from "./v1.js";

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function quietMaster() {
  const master = await startTestMaster({ allocation_interval: 3600, agent_ping_timeout: 3600, max_completed_tasks_per_framework: 5 });
  cleanup.push(() => master.close());
  return master;
}

const listed = (a: AgentRecord) => a.state === "REGISTERED" || a.state === "DISCONNECTED";
const fullFramework = (fw: FrameworkRecord) => ({
  ...legacyFrameworkHead(fw),
  tasks: [...fw.tasks.values()].map(legacyTask),
  unreachable_tasks: [...fw.unreachableTasks.values()].map(legacyTask),
  completed_tasks: fw.completedTasks.map(legacyTask),
});
const recovered = (ctx: MasterContext) => [...ctx.recoveredAgents.entries()].map(([id, a]) => ({ id, hostname: a.hostname, port: a.port }));

/** Resources of running tasks grouped by agent (the reference documents' `used_resources`). */
function runningResourcesByAgent(ctx: MasterContext): Map<string, Resource[][]> {
  const out = new Map<string, Resource[][]>();
  for (const fw of ctx.frameworks.values()) {
    for (const t of fw.tasks.values()) {
      if (t.released || isTerminalState(t.state)) continue;
      const list = out.get(t.agentId);
      if (list) list.push(t.info.resources);
      else out.set(t.agentId, [t.info.resources]);
    }
  }
  return out;
}

/** `/master/state` as the master built it before it streamed cached fragments. */
function referenceState(ctx: MasterContext, flags: Record<string, string>): string {
  const offers = offersByAgent(ctx);
  const running = runningResourcesByAgent(ctx);
  return JSON.stringify({
    ...stateHead(ctx, flags),
    slaves: [...ctx.agents.values()].filter(listed).map((a) => legacyAgent(ctx, a, offers, running.get(a.id) ?? [])),
    recovered_slaves: recovered(ctx),
    frameworks: [...ctx.frameworks.values()].map(fullFramework),
    completed_frameworks: ctx.completedFrameworks.map(fullFramework),
  });
}

function referenceSummary(ctx: MasterContext): string {
  const countStates = (tasks: Iterable<TaskRecord>) => {
    const counts: Record<string, number> = {};
    for (const s of ["TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_FINISHED", "TASK_KILLED", "TASK_FAILED", "TASK_LOST", "TASK_ERROR", "TASK_UNREACHABLE"]) counts[s] = 0;
    for (const t of tasks) counts[t.state] = (counts[t.state] ?? 0) + 1;
    return counts;
  };
  return JSON.stringify({
    hostname: ctx.masterInfo.hostname,
    cluster: ctx.config.cluster,
    slaves: [...ctx.agents.values()].filter(listed).map((a) => {
      const tasks = agentTasks(ctx, a);
      return { ...legacyAgent(ctx, a), ...countStates(tasks), framework_ids: [...new Set(tasks.map((t) => t.frameworkId))] };
    }),
    frameworks: [...ctx.frameworks.values()].map((fw) => ({
      ...legacyFrameworkHead(fw),
      offers: undefined,
      executors: undefined,
      ...countStates([...fw.tasks.values(), ...fw.unreachableTasks.values(), ...fw.completedTasks]),
      slave_ids: [...new Set([...fw.tasks.values()].map((t) => t.agentId))],
    })),
  });
}

async function streamed(write: (w: ChunkWriter) => Promise<void>, sliceMs?: number): Promise<string> {
  const { sink, result } = collectingSink();
  const w = new ChunkWriter(sink, sliceMs);
  await write(w);
  await w.end();
  return result().toString("utf8");
}

const taskResources = parseResources("cpus:0.1;mem:32;ports:[31000-31001]");
const agentResources = parseResources("cpus:8;mem:4096;disk:1000;ports:[31000-32000];gpus(gpu-role):1");

/** A small cluster built directly in the master's memory, and the changes the master makes to it. */
class Cluster {
  private n = 0;
  constructor(readonly ctx: MasterContext) {}

  addAgent(): AgentRecord {
    const i = this.n++;
    const id = `${this.ctx.masterInfo.id}-S${i}`;
    const info = { hostname: `agent-${i}`, port: 5051, resources: agentResources, attributes: [{ name: "rack", type: "TEXT" as const, text: { value: `r${i % 3}` } }], id: { value: id } };
    const agent: AgentRecord = {
      ...newAgentRecord(id, info, `10.0.0.${i}`, 5051, 1_700_000_000_000 + i),
      total: agentResources,
      capabilities: ["MULTI_ROLE"],
      containerizers: ["mesos"],
      version: "1.11.0",
    };
    this.ctx.agents.set(id, agent);
    return agent;
  }

  addFramework(name: string): FrameworkRecord {
    const id = `${this.ctx.masterInfo.id}-${String(this.n++).padStart(4, "0")}`;
    const fw = newFrameworkRecord(id, { user: "root", name, failover_timeout: 0, checkpoint: true, roles: [], capabilities: [] }, 1_700_000_000_000);
    this.ctx.frameworks.set(id, fw);
    return fw;
  }

  addTask(fw: FrameworkRecord, agent: AgentRecord, state: TaskState = "TASK_RUNNING", name = `t${this.n}`): TaskRecord {
    const id = `${name}.${this.n++}`;
    const info: TaskInfo = { name, task_id: { value: id }, agent_id: { value: agent.id }, resources: taskResources, labels: { labels: [{ key: "owner", value: "тест \u2028 \"q\"" }] } };
    const status = { task_id: info.task_id, state, timestamp: 1_700_000_000 + this.n, container_status: { network_infos: [{ ip_addresses: [{ protocol: "IPv4" as const, ip_address: agent.ip }], groups: [], port_mappings: [] }] } };
    const task: TaskRecord = { frameworkId: fw.id, agentId: agent.id, info, resources: info.resources, role: "*", state, statuses: [status], released: false, revision: 0 };
    fw.tasks.set(id, task);
    agent.tasks.add(taskKey(fw.id, id));
    return task;
  }

  /** A status update as core/tasks.ts applies it. */
  update(task: TaskRecord, state: TaskState): void {
    task.state = state;
    task.revision++;
    task.statuses = [...task.statuses.filter((s) => s.state !== state), { task_id: task.info.task_id, state, timestamp: 1_700_000_000 + this.n++ }];
    if (isTerminalState(state) || state === "TASK_UNREACHABLE") task.released = true;
  }

  complete(fw: FrameworkRecord, task: TaskRecord): void {
    this.update(task, "TASK_FINISHED");
    fw.tasks.delete(task.info.task_id.value);
    fw.unreachableTasks.delete(task.info.task_id.value);
    this.ctx.agents.get(task.agentId)?.tasks.delete(taskKey(fw.id, task.info.task_id.value));
    fw.completedTasks.push(task);
    const max = this.ctx.config.max_completed_tasks_per_framework;
    if (fw.completedTasks.length > max) fw.completedTasks.splice(0, fw.completedTasks.length - max);
  }

  unreachable(fw: FrameworkRecord, task: TaskRecord): void {
    fw.tasks.delete(task.info.task_id.value);
    fw.unreachableTasks.set(task.info.task_id.value, task);
    this.update(task, "TASK_UNREACHABLE");
  }

  offer(fw: FrameworkRecord, agent: AgentRecord): void {
    const id = `offer-${this.n++}`;
    fw.offers.set(id, { id, frameworkId: fw.id, agentId: agent.id, role: "*", resources: parseResources("cpus:1;mem:128;ports:[31500-31510]"), createdAt: 0 });
  }
}

async function expectSameDocuments(ctx: MasterContext): Promise<void> {
  const flags = { port: "5050", note: "ünïcode" };
  expect(await streamed((w) => writeState(ctx, flags, w))).toBe(referenceState(ctx, flags));
  const frameworks = { frameworks: [...ctx.frameworks.values()].map(fullFramework), completed_frameworks: ctx.completedFrameworks.map(fullFramework), unregistered_frameworks: [] };
  expect(await streamed((w) => writeFrameworks(ctx, null, w))).toBe(JSON.stringify(frameworks));
  expect(await slavesJson(ctx, null)).toBe(JSON.stringify({ slaves: [...ctx.agents.values()].filter(listed).map((a) => legacyAgent(ctx, a)), recovered_slaves: recovered(ctx) }));
  expect(sortedFrameworkIds(await streamed((w) => writeStateSummary(ctx, w)))).toBe(sortedFrameworkIds(referenceSummary(ctx)));
}

/** The summary lists an agent's framework ids in framework order, the old builder in task order. */
function sortedFrameworkIds(summary: string): string {
  const doc = JSON.parse(summary) as { slaves: Array<{ framework_ids: string[] }> };
  for (const slave of doc.slaves) slave.framework_ids.sort();
  return JSON.stringify(doc);
}

const pick = <T>(items: Iterable<T>, i: number): T | undefined => {
  const all = [...items];
  return all.length === 0 ? undefined : all[i % all.length];
};

describe("streamed legacy documents", () => {
  it("equal JSON.stringify of the legacy objects after any sequence of changes", async () => {
    const { server } = await quietMaster();
    const ctx = server.ctx;
    const cluster = new Cluster(ctx);
    const agents = [cluster.addAgent(), cluster.addAgent(), cluster.addAgent()];
    const fws = [cluster.addFramework("marathon"), cluster.addFramework("spark ✨")];
    for (let i = 0; i < 12; i++) cluster.addTask(fws[i % 2]!, agents[i % 3]!);
    ctx.recoveredAgents.set("old-agent", { hostname: "old", port: 5051 });
    await expectSameDocuments(ctx);

    const op = fc.tuple(fc.integer({ min: 0, max: 13 }), fc.nat(), fc.nat());
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
        for (const [kind, a, b] of ops) {
          const fw = pick([...ctx.frameworks.values()], a);
          const agent = pick([...ctx.agents.values()], b);
          const task = fw && pick(fw.tasks.values(), b);
          if (kind === 0 && fw && agent) cluster.addTask(fw, agent, b % 2 ? "TASK_RUNNING" : "TASK_STAGING");
          else if (kind === 1 && task) cluster.update(task, (["TASK_STARTING", "TASK_RUNNING", "TASK_KILLING"] as const)[a % 3]!);
          else if (kind === 2 && fw && task) cluster.complete(fw, task);
          else if (kind === 3 && fw && task) cluster.unreachable(fw, task);
          else if (kind === 4 && task) task.released = true; // without a new revision, as removeFramework does
          else if (kind === 5 && fw && agent) cluster.offer(fw, agent);
          else if (kind === 6 && fw) fw.offers.delete(pick(fw.offers.keys(), b) ?? "");
          else if (kind === 7 && agent) agent.deactivated = !agent.deactivated;
          else if (kind === 8 && agent) {
            if (agent.drain) agent.drain.state = "DRAINED"; // mutated in place, as core/drain.ts does
            else agent.drain = { state: "DRAINING", markGone: false };
          } else if (kind === 9 && agent) agent.info = { ...agent.info, hostname: `renamed-${a}` };
          else if (kind === 10 && agent) agent.state = agent.state === "REGISTERED" ? "DISCONNECTED" : agent.state === "DISCONNECTED" ? "UNREACHABLE" : "REGISTERED";
          else if (kind === 11 && fw) fw.connected = !fw.connected;
          else if (kind === 12 && fw && agent) fw.executors.set(`exec-${a}`, { agentId: agent.id, info: {} });
          else if (kind === 13 && fw && ctx.frameworks.size > 1) {
            ctx.frameworks.delete(fw.id);
            ctx.completedFrameworks.push(fw);
          } else if (kind === 13) cluster.addFramework(`fw-${a}`);
          await expectSameDocuments(ctx);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("stay right when requests overlap and the cluster changes while one is being written", async () => {
    const { server } = await quietMaster();
    const ctx = server.ctx;
    const cluster = new Cluster(ctx);
    const agents = Array.from({ length: 40 }, () => cluster.addAgent());
    const fws = [cluster.addFramework("a"), cluster.addFramework("b")];
    for (let i = 0; i < 400; i++) cluster.addTask(fws[i % 2]!, agents[i % 40]!);
    await expectSameDocuments(ctx);
    for (let round = 0; round < 5; round++) {
      // A writer that yields after every piece, so that the other requests and the changes interleave.
      const slow = streamed((w) => writeState(ctx, {}, w), 0);
      const changes = (async () => {
        for (let i = 0; i < 20; i++) {
          await new Promise((resolve) => setImmediate(resolve));
          const fw = fws[i % 2]!;
          const task = [...fw.tasks.values()][(i * 13 + round) % fw.tasks.size]!;
          if (i % 3 === 0) cluster.complete(fw, task);
          else if (i % 3 === 1) cluster.update(task, "TASK_KILLING");
          else cluster.addTask(fw, agents[(i + round) % 40]!);
        }
      })();
      await Promise.all([slow, changes, streamed((w) => writeStateSummary(ctx, w), 0), slavesJson(ctx, null), streamed((w) => writeState(ctx, {}, w), 0)]);
      await expectSameDocuments(ctx);
    }
    // What keeps overlapping requests apart: one agent pass at a time, even across awaits.
    const order: string[] = [];
    const first = withAgentPass(ctx, async () => {
      order.push("first starts");
      await new Promise((resolve) => setImmediate(resolve));
      order.push("first ends");
    });
    const second = withAgentPass(ctx, () => void order.push("second"));
    await Promise.all([first, second]);
    expect(order).toEqual(["first starts", "first ends", "second"]);
  });

  it("serialises only the changed tasks of a long list and reuses every other block", async () => {
    const { server } = await quietMaster();
    const ctx = server.ctx;
    const cluster = new Cluster(ctx);
    const agent = cluster.addAgent();
    const fw = cluster.addFramework("marathon");
    for (let i = 0; i < 5000; i++) cluster.addTask(fw, agent);
    await expectSameDocuments(ctx);

    blockStats.reused = blockStats.built = blockStats.tasksSerialized = 0;
    await streamed((w) => writeState(ctx, {}, w));
    expect(blockStats).toMatchObject({ built: 0, tasksSerialized: 0 });
    expect(blockStats.reused).toBeGreaterThan(3); // 5,000 tasks are cut into several blocks

    const tasks = [...fw.tasks.values()];
    cluster.update(tasks[2500]!, "TASK_KILLING");
    cluster.complete(fw, tasks[10]!);
    cluster.addTask(fw, agent);
    blockStats.reused = blockStats.built = blockStats.tasksSerialized = 0;
    await expectSameDocuments(ctx);
    // Three changed tasks plus the completed list; the reference runs do not touch the counters.
    expect(blockStats.tasksSerialized).toBeLessThanOrEqual(8);
  });

  it("serves them over HTTP with the .json aliases, JSONP, backpressure and clients that leave early", async () => {
    const master = await quietMaster();
    const ctx = master.server.ctx;
    const cluster = new Cluster(ctx);
    const agents = [cluster.addAgent(), cluster.addAgent()];
    const fw = cluster.addFramework("marathon");
    const other = cluster.addFramework("other");
    for (let i = 0; i < 20_000; i++) cluster.addTask(i % 7 ? fw : other, agents[i % 2]!);
    const text = async (path: string) => {
      const res = await fetch(`${master.url}${path}`);
      return { status: res.status, type: res.headers.get("content-type"), body: await res.text() };
    };

    // A client that reads slowly: the master waits for the socket instead of queueing ≈10 MiB.
    const slow = await new Promise<string>((resolve, reject) => {
      get(`${master.url}/master/state`, (res) => {
        const parts: Buffer[] = [];
        res.on("data", (chunk: Buffer) => {
          if (parts.push(chunk) % 16 === 0) {
            res.pause();
            setTimeout(() => res.resume(), 5);
          }
        });
        res.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
        res.on("error", reject);
      }).on("error", reject);
    });
    const flags = JSON.parse(slow).flags as Record<string, string>;
    const reference = referenceState(ctx, flags);
    expect(slow).toBe(reference);

    for (const path of ["/master/state", "/state", "/master/state.json", "/state.json"]) {
      const res = await text(path);
      expect(res).toMatchObject({ status: 200, type: "application/json" });
      expect(res.body).toBe(reference);
    }
    const jsonp = await text("/master/state.json?jsonp=cb.update");
    expect(jsonp).toMatchObject({ status: 200, type: "text/javascript" });
    expect(jsonp.body).toBe(`cb.update(${reference});`);
    expect((await text("/master/state?jsonp=alert(1)")).status).toBe(400);

    const one = await text(`/master/frameworks?framework_id=${other.id}`);
    expect(one.body).toBe(JSON.stringify({ frameworks: [fullFramework(other)], completed_frameworks: [], unregistered_frameworks: [] }));
    expect((await text(`/frameworks.json?jsonp=f&framework_id=${other.id}`)).body).toBe(`f(${one.body});`);
    const page = JSON.parse((await text("/master/tasks?limit=3&offset=2&order=asc")).body) as { tasks: Array<{ id: string }> };
    expect(page.tasks.map((t) => t.id)).toEqual([...fw.tasks.values(), ...other.tasks.values()].sort((a, b) => a.statuses[0]!.timestamp! - b.statuses[0]!.timestamp!).slice(2, 5).map((t) => t.info.task_id.value));
    expect((await text("/master/slaves")).body).toBe(await slavesJson(ctx, null));
    expect(sortedFrameworkIds((await text("/master/state-summary")).body)).toBe(sortedFrameworkIds(referenceSummary(ctx)));

    // A client that leaves after the first bytes: the master drops the stream and keeps serving.
    await new Promise<void>((resolve, reject) => {
      const req = get(`${master.url}/master/state`, (res) => res.once("data", () => {
        req.destroy();
        resolve();
      }));
      req.on("error", () => undefined);
      req.on("close", () => resolve());
      setTimeout(() => reject(new Error("no answer")), 30_000).unref();
    });
    expect((await text("/master/state")).body).toBe(reference);
  });
});
