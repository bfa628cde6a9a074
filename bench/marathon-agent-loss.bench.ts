/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers from the API, checked by the assertions */
/**
 * Agent loss (issue: Marathon, Benchmarks): kill -9 of an agent → its instances RUNNING elsewhere,
 * with unreachableStrategy {inactiveAfterSeconds: 0, expungeAfterSeconds: 0}; goal ≤ 10 s. Then the
 * agent comes back (same work dir and id, its tasks survived it): the extra instances are killed.
 * Peer: the defaults of Mesos and Marathon (agent_ping_timeout 15 s × max_agent_ping_timeouts 5 = 75 s
 * before unreachable, then Marathon's unreachable strategy inactiveAfterSeconds 0 ≈ 78 s) and
 * Kubernetes (node-monitor-grace-period 40 s + pod eviction 5 min ≈ 5 min 40 s).
 * Settings: real processes (built dist): caravel-master with the liveness flags below, two
 * caravel-agent processes (process containerizer, `sleep 3600` tasks, distinct --hostname), marathon.
 *
 * Run: pnpm -r build && node --conditions=source --import tsx bench/marathon-agent-loss.bench.ts
 *      (N instances, default 10; PING seconds, default 1; MAX_PINGS, default 3; RECORD=0 prints only)
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binPath, freePort, startProcess, stopAllProcesses, waitFor, type ProcessHandle } from "@caravel/testing";
import { record } from "./lib/record.js";

const N = Number(process.env["N"] ?? 10);
const PING = Number(process.env["PING"] ?? 1);
const MAX_PINGS = Number(process.env["MAX_PINGS"] ?? 3);
const dir = mkdtempSync(join(tmpdir(), "caravel-bench-agent-loss-"));
const [masterPort, marathonPort, portA, portB] = [await freePort(), await freePort(), await freePort(), await freePort()];
const master = `http://127.0.0.1:${masterPort}`;
const marathon = `http://127.0.0.1:${marathonPort}`;
const APP = "/bench/survivor";

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(marathon + path, { method, headers: { "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}
const tasks = async (): Promise<{ id: string; host: string; state: string }[]> => (await api("GET", `/v2/apps${APP}?embed=app.tasks`)).app.tasks;
const masterTasks = async (): Promise<{ id: string; state: string }[]> => ((await (await fetch(`${master}/master/tasks?limit=10000`)).json()) as { tasks: { id: string; state: string }[] }).tasks;

const agentArgs = (name: string, port: number): string[] => [
  binPath("agent"),
  `--master=127.0.0.1:${masterPort}`,
  `--port=${port}`,
  `--hostname=${name}`,
  `--work_dir=${join(dir, name)}`,
  "--containerizers=mesos",
  "--resources=cpus:2;mem:2048;disk:1000;ports:[32000-32099]",
  "--log_level=warn",
];
const startAgent = (name: string, port: number): Promise<ProcessHandle> => startProcess({ name, command: process.execPath, args: agentArgs(name, port), healthUrl: `http://127.0.0.1:${port}/health` });

try {
  await startProcess({
    name: "master",
    command: process.execPath,
    args: [binPath("master"), `--port=${masterPort}`, `--work_dir=${join(dir, "master")}`, "--allocation_interval=0.2", `--agent_ping_timeout=${PING}`, `--max_agent_ping_timeouts=${MAX_PINGS}`, "--log_level=warn"],
    healthUrl: `${master}/health`,
  });
  const agents = new Map<string, ProcessHandle>([
    ["agent-a", await startAgent("agent-a", portA)],
    ["agent-b", await startAgent("agent-b", portB)],
  ]);
  await waitFor(async () => ((await (await fetch(`${master}/master/slaves`)).json()) as { slaves: unknown[] }).slaves.length >= 2, { timeoutMs: 60_000, message: "2 agents" });
  await startProcess({ name: "marathon", command: process.execPath, args: [binPath("marathon"), `--http_port=${marathonPort}`, `--master=${master}`, `--work_dir=${join(dir, "marathon")}`, "--log_level=warn"], healthUrl: `${marathon}/ping` });
  await waitFor(async () => (await api("GET", "/v2/info")).frameworkId, { timeoutMs: 60_000, message: "Marathon subscribed" });

  await api("POST", "/v2/apps", { id: APP, cmd: "sleep 3600", cpus: 0.1, mem: 16, instances: N, unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 } });
  await waitFor(async () => (await tasks()).filter((t) => t.state === "TASK_RUNNING").length === N, { timeoutMs: 120_000, message: `${N} running` });
  const placed = await tasks();
  const onA = placed.filter((t) => t.host === "agent-a").length;
  const victim = onA >= N - onA ? "agent-a" : "agent-b";
  const survivor = victim === "agent-a" ? "agent-b" : "agent-a";
  const lost = placed.filter((t) => t.host === victim).map((t) => t.id);
  console.log(`${N} running: ${onA} on agent-a, ${N - onA} on agent-b; killing ${victim} (${lost.length} instances)`);

  // kill -9 of the agent process alone: its tasks live on, as after a real agent crash.
  const t0 = performance.now();
  process.kill(agents.get(victim)!.pid, "SIGKILL");
  await waitFor(
    async () => {
      const now = await tasks();
      return now.filter((t) => t.state === "TASK_RUNNING" && t.host === survivor).length === N;
    },
    { timeoutMs: 300_000, intervalMs: 100, message: `${N} running on ${survivor}` },
  );
  const replaced = (performance.now() - t0) / 1000;
  console.log(`all ${N} RUNNING on ${survivor} ${replaced.toFixed(2)} s after kill -9 of ${victim}`);

  // The agent comes back with its tasks: Marathon kills the ones it replaced.
  const t1 = performance.now();
  agents.set(victim, await startAgent(victim, victim === "agent-a" ? portA : portB));
  await waitFor(
    async () => {
      const states = new Map((await masterTasks()).map((t) => [t.id, t.state]));
      return lost.every((id) => { const s = states.get(id); return s === undefined || s === "TASK_KILLED" || s === "TASK_GONE" || s === "TASK_LOST"; });
    },
    { timeoutMs: 300_000, intervalMs: 200, message: "the returning agent's extra instances killed" },
  );
  const cleaned = (performance.now() - t1) / 1000;
  const finalStates = new Map((await masterTasks()).map((t) => [t.id, t.state]));
  const fates = lost.map((id) => finalStates.get(id) ?? "forgotten by the master").reduce((m, s) => m.set(s, (m.get(s) ?? 0) + 1), new Map<string, number>());
  const fate = [...fates].map(([s, n]) => `${n} ${s}`).join(", ");
  const finalTasks = await tasks();
  const extra = finalTasks.filter((t) => t.host === victim).length;
  console.log(`${victim} back: its ${lost.length} old tasks gone (${fate}) ${cleaned.toFixed(2)} s after restart (incl. agent start); Marathon has ${finalTasks.length} instances, ${extra} on ${victim}`);

  const row = {
    benchmark: "marathon: kill -9 of an agent → its instances RUNNING elsewhere",
    settings: `${N} instances (${lost.length} on the killed agent), 2 agents (process containerizer), unreachableStrategy 0/0, master --agent_ping_timeout=${PING} --max_agent_ping_timeouts=${MAX_PINGS}; agent back: its old tasks ${fate} after ${cleaned.toFixed(1)} s (incl. agent start), ${finalTasks.length} instances left`,
    caravel: `${replaced.toFixed(2)} s`,
    peer: "Mesos+Marathon defaults ≈78 s (15 s × 5 pings + strategy); Kubernetes ≈5 min 40 s",
    ratio: `goal ≤ 10 s: ${replaced <= 10 ? "met" : "not met"}`,
  };
  if (process.env["RECORD"] === "0") console.log(row);
  else record(row);
  await api("DELETE", `${"/v2/apps" + APP}?force=true`);
  await waitFor(async () => (await masterTasks()).every((t) => t.state !== "TASK_RUNNING"), { timeoutMs: 60_000, message: "app removed" }).catch(() => undefined);
} finally {
  await stopAllProcesses();
}
