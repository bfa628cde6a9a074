/**
 * Side by side with Docker Swarm on this machine (issue: Marathon, Benchmarks): N replicas of
 * local/busybox:1 running `sleep 3600`.
 *  1. Time from the request until N containers run:
 *     Swarm: `docker service create --replicas N --no-resolve-image` → N of the service's containers
 *            up (`docker ps`);
 *     Caravel: POST /v2/apps (docker container, N instances) to caravel-marathon over a real
 *            caravel-master and one real caravel-agent with the docker containerizer → N TASK_RUNNING.
 *  2. Time to replace one killed container: `docker kill` of one of them → N running again, one of
 *     them new (Swarm: a new container id; Caravel: a new task RUNNING in Marathon).
 * Ratios Caravel / Swarm; goal ≤ 0.5 (issue: Swarm measured here 16.2 s to 50, 5.6 s to replace).
 * The swarm is initialised if inactive and left afterwards (`docker swarm leave --force`) only when
 * this run initialised it; the service and the app are removed even on failure.
 *
 * Run: pnpm -r build && node --conditions=source --import tsx bench/swarm.bench.ts   (N=50 default;
 *      ROUNDS=1; RECORD=0 prints without appending to BENCHMARKS.md)
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { binPath, freePort, startProcess, stopAllProcesses, waitFor } from "@caravel/testing";
import { median, record } from "./lib/record.js";

const run = promisify(execFile);
const N = Number(process.env["N"] ?? 50);
const ROUNDS = Number(process.env["ROUNDS"] ?? 1);
const IMAGE = "local/busybox:1";
const ID = randomUUID().slice(0, 8);
const SERVICE = `caravel-bench-${ID}`;
const APP = `/bench-swarm-${ID}`;

async function docker(...args: string[]): Promise<string> {
  return (await run("docker", args, { maxBuffer: 16 * 2 ** 20 })).stdout.trim();
}

async function preflight(): Promise<void> {
  try {
    await docker("info", "--format", "{{.ServerVersion}}");
  } catch {
    throw new Error("docker does not answer: start the engine (bash scripts/bootstrap, or `setsid /usr/sbin/dockerd >/tmp/dockerd.log 2>&1 &`)");
  }
  try {
    await docker("image", "inspect", IMAGE);
  } catch {
    throw new Error(`${IMAGE} is missing: run \`bash scripts/build-images\``);
  }
}

/** Ids of running containers carrying `label` (key=value, or a key), with the value of `key`. */
async function runningByLabel(filter: string, key: string): Promise<Map<string, string>> {
  const out = await docker("ps", "--filter", `label=${filter}`, "--filter", "status=running", "--format", `{{.ID}} {{.Label "${key}"}}`);
  return new Map(out ? out.split("\n").map((l) => l.split(" ") as [string, string]) : []);
}

const seconds = (from: number): number => (performance.now() - from) / 1000;
const POLL = { intervalMs: 100, timeoutMs: 300_000 };

// ---- Docker Swarm ------------------------------------------------------------------------------

async function swarmRound(): Promise<{ start: number; replace: number }> {
  const label = `com.docker.swarm.service.name=${SERVICE}`;
  const t0 = performance.now();
  await docker("service", "create", "--detach", "--no-resolve-image", "--name", SERVICE, "--replicas", String(N), "--restart-condition", "any", IMAGE, "sleep", "3600");
  await waitFor(async () => (await runningByLabel(label, "com.docker.swarm.task.id")).size >= N, { ...POLL, message: `${N} swarm replicas running` });
  const start = seconds(t0);
  const before = await runningByLabel(label, "com.docker.swarm.task.id");
  const victim = [...before.keys()][0]!;
  const t1 = performance.now();
  await docker("kill", victim);
  await waitFor(
    async () => {
      const now = await runningByLabel(label, "com.docker.swarm.task.id");
      return now.size >= N && [...now.keys()].some((id) => !before.has(id));
    },
    { ...POLL, message: "swarm replaced the killed container" },
  );
  const replace = seconds(t1);
  await removeService();
  return { start, replace };
}

async function removeService(): Promise<void> {
  await docker("service", "rm", SERVICE).catch(() => "");
  // The service's containers stop asynchronously; wait so that the next round starts on a quiet engine.
  await waitFor(async () => (await runningByLabel(`com.docker.swarm.service.name=${SERVICE}`, "com.docker.swarm.task.id")).size === 0, { ...POLL, message: "swarm service removed" }).catch(() => undefined);
}

// ---- Caravel -----------------------------------------------------------------------------------

async function caravelRound(marathon: string): Promise<{ start: number; replace: number }> {
  const api = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(marathon + path, { method, headers: { "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : undefined;
  };
  const runningTasks = async (): Promise<Set<string>> => {
    const { app } = (await api("GET", `/v2/apps${APP}?embed=app.tasks`)) as { app: { tasks: { id: string; state: string }[] } };
    return new Set(app.tasks.filter((t) => t.state === "TASK_RUNNING").map((t) => t.id));
  };
  const t0 = performance.now();
  await api("POST", "/v2/apps", { id: APP, cmd: "sleep 3600", cpus: 0.01, mem: 16, instances: N, container: { type: "DOCKER", docker: { image: IMAGE } } });
  await waitFor(async () => (await runningTasks()).size >= N, { ...POLL, message: `${N} Caravel instances running` });
  const start = seconds(t0);
  const before = await runningTasks();
  const containers = await runningByLabel("caravel.task_id", "caravel.task_id");
  const victim = [...containers].find(([, task]) => before.has(task))?.[0];
  if (!victim) throw new Error("no docker container of the app found (label caravel.task_id)");
  // Marathon's event stream says where the replacement's time goes (printed, not recorded).
  const steps: string[] = [];
  const events = new AbortController();
  const t1 = performance.now();
  void (async () => {
    const res = await fetch(`${marathon}/v2/events?event_type=status_update_event&event_type=instance_changed_event`, { headers: { accept: "text/event-stream" }, signal: events.signal });
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      for (const line of decoder.decode(chunk, { stream: true }).split("\n")) {
        if (!line.startsWith("data:")) continue;
        const e = JSON.parse(line.slice(5)) as { eventType: string; taskStatus?: string; condition?: string };
        steps.push(`${e.taskStatus ?? e.condition} +${seconds(t1).toFixed(2)} s`);
      }
    }
  })().catch(() => undefined);
  await docker("kill", victim);
  await waitFor(
    async () => {
      const now = await runningTasks();
      return now.size >= N && [...now].some((id) => !before.has(id));
    },
    { ...POLL, message: "Caravel replaced the killed container" },
  );
  const replace = seconds(t1);
  events.abort();
  console.log(`caravel replacement steps: ${[...new Set(steps)].join(", ")}`);
  await api("DELETE", `/v2/apps${APP}?force=true`);
  await waitFor(async () => (await runningByLabel("caravel.task_id", "caravel.task_id")).size === 0, { ...POLL, message: "Caravel app's containers removed" });
  return { start, replace };
}

// ---- main --------------------------------------------------------------------------------------

await preflight();
const swarmState = await docker("info", "--format", "{{.Swarm.LocalNodeState}}");
const initialised = swarmState !== "active";
if (initialised) await docker("swarm", "init", "--advertise-addr", "127.0.0.1");
const swarm: { start: number; replace: number }[] = [];
const caravel: { start: number; replace: number }[] = [];
try {
  for (let r = 0; r < ROUNDS; r++) {
    swarm.push(await swarmRound());
    console.log(`swarm round ${r + 1}: ${N} running in ${swarm.at(-1)!.start.toFixed(2)} s, replaced in ${swarm.at(-1)!.replace.toFixed(2)} s`);
  }
} finally {
  await removeService();
  if (initialised) await docker("swarm", "leave", "--force").catch(() => "");
}

const dir = mkdtempSync(join(tmpdir(), "caravel-bench-swarm-"));
try {
  const [mPort, aPort, mtPort] = [await freePort(), await freePort(), await freePort()];
  const master = `http://127.0.0.1:${mPort}`;
  const marathon = `http://127.0.0.1:${mtPort}`;
  await startProcess({ name: "master", command: process.execPath, args: [binPath("master"), `--port=${mPort}`, `--work_dir=${join(dir, "master")}`, "--allocation_interval=0.2", "--log_level=warn"], healthUrl: `${master}/health` });
  await startProcess({ name: "agent", command: process.execPath, args: [binPath("agent"), `--master=127.0.0.1:${mPort}`, `--port=${aPort}`, `--work_dir=${join(dir, "agent")}`, "--containerizers=docker", "--resources=cpus:8;mem:8192;disk:10000;ports:[31000-31999]", "--cleanup_on_exit", "--log_level=warn"] });
  await waitFor(async () => ((await (await fetch(`${master}/master/slaves`)).json()) as { slaves: unknown[] }).slaves.length >= 1, { timeoutMs: 60_000, message: "agent registered" });
  await startProcess({ name: "marathon", command: process.execPath, args: [binPath("marathon"), `--http_port=${mtPort}`, `--master=${master}`, `--work_dir=${join(dir, "marathon")}`, "--log_level=warn"], healthUrl: `${marathon}/ping` });
  await waitFor(async () => ((await (await fetch(`${marathon}/v2/info`)).json()) as { frameworkId?: string }).frameworkId, { timeoutMs: 60_000, message: "Marathon subscribed" });
  for (let r = 0; r < ROUNDS; r++) {
    caravel.push(await caravelRound(marathon));
    console.log(`caravel round ${r + 1}: ${N} running in ${caravel.at(-1)!.start.toFixed(2)} s, replaced in ${caravel.at(-1)!.replace.toFixed(2)} s`);
  }
} finally {
  await stopAllProcesses();
}

const s = { start: median(swarm.map((x) => x.start)), replace: median(swarm.map((x) => x.replace)) };
const c = { start: median(caravel.map((x) => x.start)), replace: median(caravel.map((x) => x.replace)) };
const rows = [
  {
    benchmark: `swarm: ${N} replicas of ${IMAGE} running`,
    settings: `docker service create --replicas ${N} vs Marathon app (DOCKER, ${N} instances) on 1 real agent (docker containerizer), master --allocation_interval=0.2; median of ${ROUNDS}`,
    caravel: `${c.start.toFixed(2)} s`,
    peer: `Docker Swarm ${s.start.toFixed(2)} s`,
    ratio: `${(c.start / s.start).toFixed(2)} (goal ≤ 0.5)`,
  },
  {
    benchmark: "swarm: replace one killed container",
    settings: `docker kill of one of ${N} → ${N} running again with a new one; median of ${ROUNDS}`,
    caravel: `${c.replace.toFixed(2)} s`,
    peer: `Docker Swarm ${s.replace.toFixed(2)} s`,
    ratio: `${(c.replace / s.replace).toFixed(2)} (goal ≤ 0.5)`,
  },
];
if (process.env["RECORD"] === "0") for (const row of rows) console.log(row);
else for (const row of rows) record(row);
