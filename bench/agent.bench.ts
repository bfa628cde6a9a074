/**
 * Agent benchmarks (issue: agent).
 *  1. One agent with 1,000 sim tasks: time from the first RUN_TASK until the master has heard
 *     TASK_RUNNING (as the update's state or its latest_state) for all of them. Goal ≤ 1 s.
 *  2. The agent's own overhead per short process task, over 100 tasks run one after the other:
 *     RUN_TASK received → process started, and process exit → terminal update sent. Goal ≤ 20 ms.
 * Settings: one in-process agent with file checkpoints (journal written before each update is
 * forwarded, fdatasync'd in the background) in a temp dir, against a fake master in its own process
 * (packages/agent/src/testing/fake-master-process.ts: the other core, as a real master's) that
 * acknowledges every update at once. The sim figure is the second of two rounds in one process (a
 * long-running agent is warm), with the first (cold JIT) printed beside it. There is no Mesos on this
 * machine to run side by side; the goals come from the agent issue.
 *
 * Run: node --conditions=source --import tsx bench/agent.bench.ts
 */
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseResources } from "@caravel/api";
import { record } from "./lib/record.js";
import { SimContainerizer } from "../packages/agent/src/index.js";
import { ProcessContainerizer } from "../packages/agent/src/containerizers/process/index.js";
import { waitFor } from "../packages/agent/src/testing/fake-master.js";
import { startTestAgent } from "../packages/agent/src/testing/test-agent.js";

const SIM_TASKS = Number(process.env["SIM_TASKS"] ?? 1000);
const PROCESS_TASKS = Number(process.env["PROCESS_TASKS"] ?? 100);
const framework = { user: "root", name: "bench", id: { value: "fw-bench" }, checkpoint: true, roles: [], capabilities: [] };

const task = (id: string, command = "sleep 1000") => ({
  name: id,
  task_id: { value: id },
  agent_id: { value: "x" },
  resources: parseResources("cpus:0.01;mem:8"),
  command: { value: command, shell: true },
});

/** The fake master in its own process (the other core, as a real master's would be). */
async function startMasterProcess(): Promise<{ child: ChildProcess; url: string }> {
  const entry = fileURLToPath(new URL("../packages/agent/src/testing/fake-master-process.ts", import.meta.url));
  const child = fork(entry, [], { execArgv: ["--conditions=source", "--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const [msg] = (await once(child, "message")) as [{ type: string; url: string }];
  return { child, url: msg.url };
}

/** One agent, `n` sim tasks sent at once: ms from the first RUN_TASK until the master heard RUNNING for all. */
async function simRound(n: number, { child, url }: { child: ChildProcess; url: string }): Promise<{ ms: number; cpuMs: number; masterCpuMs: number; fsyncs: number }> {
  const dir = await mkdtemp(join(tmpdir(), "caravel-bench-agent-"));
  const agent = await startTestAgent(url, dir, { hostname: "bench", resources: parseResources("cpus:64;mem:65536;ports:[31000-32000]"), containerizers: [new SimContainerizer()] });
  try {
    await waitFor(() => agent.link.connected, "agent subscribed");
    const writes0 = (agent as unknown as { checkpointer: { writes: number } }).checkpointer.writes;
    const cpu0 = process.cpuUsage();
    const running = once(child, "message") as Promise<[{ type: string; ms: number; cpuMs: number }]>;
    const round = Math.random().toString(36).slice(2, 8);
    child.send({ type: "run", framework, tasks: Array.from({ length: n }, (_, i) => task(`sim.${round}.${i}`)) });
    const [msg] = await running;
    const cpu = process.cpuUsage(cpu0);
    return { ms: msg.ms, cpuMs: (cpu.user + cpu.system) / 1000, masterCpuMs: msg.cpuMs, fsyncs: (agent as unknown as { checkpointer: { writes: number } }).checkpointer.writes - writes0 };
  } finally {
    await agent.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const pct = (values: number[], q: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

async function processBench(): Promise<{ launch: number[]; own: number[]; exit: number[] }> {
  const dir = await mkdtemp(join(tmpdir(), "caravel-bench-proc-"));
  const containerizer = new ProcessContainerizer({ runDir: join(dir, "containers") });
  const { child, url } = await startMasterProcess();
  const agent = await startTestAgent(url, dir, { hostname: "bench", resources: parseResources("cpus:64;mem:65536;ports:[31000-32000]"), containerizers: [containerizer], defaultGraceMs: 1000 });
  try {
    await waitFor(() => agent.link.connected, "agent subscribed");
    for (let i = 0; i < PROCESS_TASKS; i++) {
      const finished = once(child, "message");
      child.send({ type: "run", framework, tasks: [task(`proc.${i}`, "true")], until: "TASK_FINISHED" });
      await finished;
    }
    const m = agent.metrics;
    return { launch: [...m.launchMs], own: m.launchMs.map((ms, i) => ms - (m.launchContainerizerMs[i] ?? 0)), exit: [...m.exitMs] };
  } finally {
    await agent.close();
    await containerizer.close();
    child.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  // First round in a fresh process (cold JIT), then a second one, as a long-running agent would be.
  // One master process for both rounds: a real master is long-running too.
  const master = await startMasterProcess();
  const cold = await simRound(SIM_TASKS, master);
  const warm = await simRound(SIM_TASKS, master);
  master.child.kill();
  console.log(`agent.bench: ${SIM_TASKS} sim tasks all reported RUNNING: cold ${cold.ms.toFixed(0)} ms, warm ${warm.ms.toFixed(0)} ms wall (agent CPU ${warm.cpuMs.toFixed(0)} ms, fake master CPU ${warm.masterCpuMs.toFixed(0)} ms, ${warm.fsyncs} journal writes) (goal ≤ 1000 ms)`);
  record({
    benchmark: `agent: ${SIM_TASKS} sim tasks → all RUNNING at the master`,
    settings: "1 in-process agent, journal checkpoints (written before each update is forwarded, group commit, fdatasync in the background), sandboxes on disk; fake master in its own process (the other core, as a real master) acking at once; 2 rounds in one process",
    caravel: `${warm.ms.toFixed(0)} ms wall, 2nd round (1st, cold JIT: ${cold.ms.toFixed(0)} ms); agent CPU ${warm.cpuMs.toFixed(0)} ms, fake master CPU ${warm.masterCpuMs.toFixed(0)} ms, ${warm.fsyncs} journal writes`,
    peer: "— (no Mesos here)",
    ratio: `goal ≤ 1000 ms: ${warm.ms <= 1000 ? "met" : "missed"}`,
  });
  const p = await processBench();
  const line = (name: string, v: number[]) => `${name} p50 ${pct(v, 0.5).toFixed(1)} ms, p99 ${pct(v, 0.99).toFixed(1)} ms (n=${v.length})`;
  console.log(
    `agent.bench: process tasks: ${line("RUN_TASK→started", p.launch)}; of which agent's own ${line("", p.own)}; ${line("exit→update sent", p.exit)} (goal ≤ 20 ms)`,
  );
  const worst = Math.max(pct(p.own, 0.99), pct(p.exit, 0.99));
  record({
    benchmark: "agent overhead per short process task (`true`)",
    settings: `${PROCESS_TASKS} tasks one after another, process containerizer (perl supervisor, cgroups when root), journal checkpoints as above, fake master in its own process`,
    caravel: `RUN_TASK→process started: ${line("agent's own part", p.own)} (${line("total incl. the process containerizer's spawn", p.launch)}); ${line("exit→update sent", p.exit)}`,
    peer: "— (no Mesos here)",
    ratio: `goal ≤ 20 ms p99 (agent's own, both paths): ${worst <= 20 ? "met" : "missed"}`,
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
