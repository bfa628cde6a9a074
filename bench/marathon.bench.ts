/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers from the API, checked by the assertions */
/**
 * Marathon benchmarks (issue: Marathon).
 *  1. 10,000 instances of one app on 1,000 simulated agents: POST /v2/apps → all TASK_RUNNING.
 *     Goal ≥ 1,000 tasks/s (Marathon's default launch throttle is ~3/s: 100 launch tokens per 30 s).
 *  2. 1,000 apps × 10 instances: GET /v2/apps?embed=apps.tasks. Goal ≤ 300 ms.
 * Settings: real processes, built dist: caravel-master (--allocation_interval=0.2), one caravel-agent
 * process with --containerizers=sim --simulate=AGENTS (cpus:16;mem:65536;ports:[31000-31199] each),
 * caravel-marathon (embedded file store, --max_instances_per_offer=100). No real Marathon or Mesos
 * runs on this machine, so the peer column cites Marathon's documented default throttle.
 *
 * Run: pnpm -r build && node --conditions=source --import tsx bench/marathon.bench.ts
 *      (AGENTS, INSTANCES, APPS, PER_APP override the sizes; ONLY=launch|list runs one half; PROF=dir writes
 *      CPU profiles of every process; RECORD=0 prints without appending to BENCHMARKS.md)
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binPath, freePort, startProcess, stopAllProcesses, waitFor } from "@caravel/testing";
import { median, percentile, record } from "./lib/record.js";

const AGENTS = Number(process.env["AGENTS"] ?? 1000);
const INSTANCES = Number(process.env["INSTANCES"] ?? 10_000);
const APPS = Number(process.env["APPS"] ?? 1000);
const PER_APP = Number(process.env["PER_APP"] ?? 10);
/** PROF=dir: every process runs with --cpu-prof into that directory (profiles are written on a clean stop). */
const PROF = process.env["PROF"];
/** ONLY=launch or ONLY=list runs one half. */
const ONLY = process.env["ONLY"];
const node = (bin: string, ...args: string[]): string[] => [...(PROF ? ["--cpu-prof", `--cpu-prof-dir=${PROF}`, `--cpu-prof-name=${bin}-\${pid}.cpuprofile`] : []), binPath(bin), ...args];

const dir = mkdtempSync(join(tmpdir(), "caravel-bench-marathon-"));
const [masterPort, agentPort, marathonPort] = [await freePort(), await freePort(), await freePort()];
const master = `http://127.0.0.1:${masterPort}`;
const marathon = `http://127.0.0.1:${marathonPort}`;

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(marathon + path, { method, headers: { "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

const runningOf = async (filter: string): Promise<number> =>
  ((await api("GET", `/v2/apps?id=${encodeURIComponent(filter)}`)).apps as any[]).reduce((n, a) => n + a.tasksRunning, 0);

let marathonProc: Awaited<ReturnType<typeof startProcess>> | undefined;
try {
  await startProcess({ name: "master", command: process.execPath, args: node("master", `--port=${masterPort}`, `--work_dir=${join(dir, "master")}`, "--allocation_interval=0.2", "--log_level=warn"), healthUrl: `${master}/health` });
  await startProcess({
    name: "agent",
    command: process.execPath,
    args: node("agent", `--master=127.0.0.1:${masterPort}`, `--port=${agentPort}`, `--work_dir=${join(dir, "agent")}`, "--containerizers=sim", `--simulate=${AGENTS}`, "--resources=cpus:16;mem:65536;disk:10000;ports:[31000-31199]", "--log_level=warn"),
    startTimeoutMs: 120_000,
  });
  await waitFor(async () => ((await (await fetch(`${master}/master/slaves`)).json()) as { slaves: unknown[] }).slaves.length >= AGENTS, { timeoutMs: 180_000, intervalMs: 500, message: `${AGENTS} agents` });
  marathonProc = await startProcess({ name: "marathon", command: process.execPath, args: node("marathon", `--http_port=${marathonPort}`, `--master=${master}`, `--work_dir=${join(dir, "marathon")}`, `--log_level=${process.env["MARATHON_LOG"] ?? "warn"}`), healthUrl: `${marathon}/ping` });
  await waitFor(async () => (await api("GET", "/v2/info")).frameworkId, { timeoutMs: 60_000, message: "Marathon subscribed" });

  const snapshot = async (): Promise<Record<string, number>> => (await (await fetch(`${master}/metrics/snapshot`)).json()) as Record<string, number>;
  const rows: Parameters<typeof record>[0][] = [];

  if (ONLY !== "list") {
    // 1. Launch throughput.
    const before = await snapshot();
    const t0 = performance.now();
    await api("POST", "/v2/apps", { id: "/bench/big", cmd: "sleep 100000", cpus: 0.01, mem: 1, instances: INSTANCES });
    let firstRunningAt: number | undefined;
    // TRACE=1: the master's counters every 250 ms, to see where a launch waits.
    // One request at a time (a slow answer delays the next) so that tracing never piles load on the master.
    let tracing = !!process.env["TRACE"];
    const traceLoop = async (): Promise<void> => {
      while (tracing) {
        const m = await snapshot().catch(() => ({}) as Record<string, number>);
        const keys = ["messages_accept_offers", "tasks_staging", "tasks_starting", "tasks_running", "valid_status_updates", "outstanding_offers"];
        console.log(`+${((performance.now() - t0) / 1000).toFixed(2)} s`, keys.map((k) => `${k.replace(/^messages_/, "")}=${m[`master/${k}`] ?? "?"}`).join(" "));
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    };
    void traceLoop();
    await waitFor(
      async () => {
        const n = await runningOf("/bench/big");
        if (n > 0 && firstRunningAt === undefined) firstRunningAt = performance.now();
        return n >= INSTANCES;
      },
      { timeoutMs: 600_000, intervalMs: 100, message: `${INSTANCES} running` },
    );
    tracing = false;
    const launchSeconds = (performance.now() - t0) / 1000;
    const rate = INSTANCES / launchSeconds;
    const after = await snapshot();
    const delta = (k: string): number => (after[k] ?? 0) - (before[k] ?? 0);
    const messages = `${delta("master/valid_status_updates")} status updates, ${delta("master/messages_accept_offers")} accepts`;
    console.log(`launch: ${INSTANCES} instances on ${AGENTS} agents all TASK_RUNNING in ${launchSeconds.toFixed(2)} s → ${rate.toFixed(0)} tasks/s (first running after ${(((firstRunningAt ?? 0) - t0) / 1000).toFixed(2)} s; ${messages})`);
    rows.push({
      benchmark: `marathon: ${INSTANCES} instances of one app, POST → all TASK_RUNNING`,
      settings: `${AGENTS} sim agents in 1 process, master --allocation_interval=0.2, file store, max_instances_per_offer 100; ${messages}`,
      caravel: `${launchSeconds.toFixed(2)} s = ${rate.toFixed(0)} tasks/s`,
      peer: "Marathon default launch throttle ≈3.3 tasks/s (100 tokens / 30 s)",
      ratio: `${(rate / 1000).toFixed(2)}× goal of 1,000 tasks/s`,
    });
    if (process.env["HOLD"]) {
      // HOLD=seconds: leave the cluster up for inspection (curl the printed URLs).
      console.log(`holding: master ${master}, agent http://127.0.0.1:${agentPort}, marathon ${marathon}`);
      await new Promise((resolve) => setTimeout(resolve, Number(process.env["HOLD"]) * 1000));
    }
    await api("DELETE", "/v2/apps/bench/big?force=true");
    await waitFor(async () => (await api("GET", "/v2/deployments")).length === 0 && (await api("GET", "/v2/tasks")).tasks.length === 0, { timeoutMs: 600_000, intervalMs: 500, message: "big app removed" });
  }

  if (ONLY !== "launch") {
    // 2. Listing 1,000 apps × 10 instances with their tasks.
    const apps = Array.from({ length: APPS }, (_, i) => ({ id: `/many/app-${i}`, cmd: "sleep 100000", cpus: 0.01, mem: 1, instances: PER_APP }));
    await api("PUT", "/v2/apps", apps);
    await waitFor(async () => (await runningOf("/many/")) >= APPS * PER_APP, { timeoutMs: 900_000, intervalMs: 1000, message: `${APPS * PER_APP} running` });
    const samples: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 20; i++) {
      const s = performance.now();
      const res = await fetch(`${marathon}/v2/apps?embed=apps.tasks`);
      const body = await res.arrayBuffer();
      samples.push(performance.now() - s);
      bytes = body.byteLength;
    }
    const p50 = median(samples);
    const p90 = percentile(samples, 0.9);
    console.log(`list: GET /v2/apps?embed=apps.tasks with ${APPS} apps × ${PER_APP}: median ${p50.toFixed(1)} ms, p90 ${p90.toFixed(1)} ms, ${(bytes / 1e6).toFixed(1)} MB`);
    rows.push({
      benchmark: "marathon: GET /v2/apps?embed=apps.tasks",
      settings: `${APPS} apps × ${PER_APP} running instances, 20 sequential requests`,
      caravel: `median ${p50.toFixed(1)} ms, p90 ${p90.toFixed(1)} ms (${(bytes / 1e6).toFixed(1)} MB)`,
      peer: "— (Marathon #1274: 1,000 tasks > 10 s)",
      ratio: `${(p50 / 300).toFixed(2)}× of the 300 ms budget`,
    });
  }
  if (process.env["RECORD"] !== "0") for (const row of rows) record(row);
} finally {
  if (process.env["MARATHON_LOG"] && marathonProc) {
    writeFileSync(join(dir, "marathon.log"), marathonProc.logs().join("\n"));
    console.log(`marathon log: ${join(dir, "marathon.log")}`);
  }
  await stopAllProcesses();
}
