/**
 * Docker launch through the whole stack: N busybox tasks accepted in one ACCEPT by a scheduler on a
 * real caravel-master, run by a real caravel-agent's Docker containerizer, side by side with the
 * same N by `docker run -d` in parallel (the 20.10 CLI matching the engine), with the same settings
 * (Init, 32 MiB, cpu shares for 0.1 cpu, the sandbox bind-mounted as working directory, bridge).
 * Figure: wall time from the ACCEPT sent until the scheduler has TASK_RUNNING for all N (acknowledging
 * each update as it comes), against the first `docker run` spawned until the last exited 0. Goal ≤ 1.2.
 *
 *   pnpm exec tsx bench/docker-launch-e2e.bench.ts          # N=50, ROUNDS=1
 *   N=20 ROUNDS=2 pnpm exec tsx bench/docker-launch-e2e.bench.ts
 * Master and agent run from sources (tsx) in their own processes; every container is removed
 * afterwards (by this run's framework id and label), even on failure.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { subscribeScheduler, type Event } from "@caravel/api";
import { DockerContainerizer, DOCKER_MISSING, LABEL } from "../packages/agent/src/containerizers/docker/index.js";
import { median, record } from "./lib/record.js";
import { peerRound, requireEngineAndImage } from "./lib/docker-peer.js";

const N = Number(process.env["N"] ?? 50);
const ROUNDS = Number(process.env["ROUNDS"] ?? 1);
const IMAGE = "local/busybox:1";
const RUN = `dle-${randomUUID().slice(0, 8)}`;
const REPO = join(fileURLToPath(new URL(".", import.meta.url)), "..");
const docker = new DockerContainerizer().docker;
const root = mkdtempSync(join(tmpdir(), "caravel-docker-e2e-bench-"));
const children: ChildProcess[] = [];
const frameworkIds: string[] = [];

function start(pkg: string, args: string[]): { child: ChildProcess; out: () => string } {
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", join(REPO, "packages", pkg, "src", "main.ts"), ...args], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr!.on("data", (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  children.push(child);
  return { child, out: () => out };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, context = () => ""): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await Promise.resolve(check()).catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${context()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function cleanup(): Promise<void> {
  const filters = [`caravel.bench=${RUN}`, ...frameworkIds.map((f) => `${LABEL.frameworkId}=${f}`)];
  for (const label of filters) {
    const list = await docker.listContainers({ all: true, filters: { label: [label] } });
    // Small batches: 50 parallel force-removals make the engine slow for everyone.
    for (let i = 0; i < list.length; i += 10) {
      await Promise.all(list.slice(i, i + 10).map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
    }
  }
}

const scalar = (name: string, value: number) => ({ name, type: "SCALAR", scalar: { value }, role: "*", reservations: [] });

/** One round through master and agent: ms from ACCEPT until the scheduler holds TASK_RUNNING for all N. */
async function caravelRound(masterUrl: string, context: () => string): Promise<number> {
  const sub = await subscribeScheduler(masterUrl, { frameworkInfo: { user: "root", name: `bench-${RUN}`, checkpoint: true, failover_timeout: 0 } });
  frameworkIds.push(sub.frameworkId);
  const events: Event[] = [];
  const running = new Set<string>();
  let allRunning: (() => void) | undefined;
  const done = new Promise<void>((resolve) => (allRunning = resolve));
  void (async () => {
    for await (const e of sub.events) {
      events.push(e);
      const st = e.type === "UPDATE" ? e.update!.status : undefined;
      if (!st) continue;
      if (st.state === "TASK_RUNNING" && running.add(st.task_id.value).size === N) allRunning?.();
      if (st.uuid && st.agent_id) void sub.call({ type: "ACKNOWLEDGE", acknowledge: { agent_id: st.agent_id, task_id: st.task_id, uuid: st.uuid } } as never).catch(() => undefined);
    }
  })().catch(() => undefined);
  const offer = await until("an offer", () => events.find((e) => e.type === "OFFERS")?.offers?.offers[0], 60_000, context);
  const tasks = Array.from({ length: N }, (_, i) => ({
    name: "bench",
    task_id: { value: `${RUN}.${frameworkIds.length}.${i}` },
    agent_id: offer.agent_id,
    resources: [scalar("cpus", 0.1), scalar("mem", 32)],
    command: { value: "sleep 3600", shell: true, uris: [], arguments: [] },
    labels: { labels: [{ key: "caravel.bench", value: RUN }] },
    container: { type: "DOCKER", volumes: [], network_infos: [], docker: { image: IMAGE, network: "BRIDGE", port_mappings: [], privileged: false, parameters: [] } },
  }));
  const t0 = performance.now();
  await sub.call({ type: "ACCEPT", accept: { offer_ids: [offer.id], operations: [{ type: "LAUNCH", launch: { task_infos: tasks } }], filters: { refuse_seconds: 60 } } } as never);
  const failed = () => events.find((e) => e.type === "UPDATE" && ["TASK_FAILED", "TASK_ERROR", "TASK_LOST", "TASK_DROPPED"].includes(e.update!.status.state));
  await Promise.race([
    done,
    until("no failed task", () => (failed() ? true : undefined), 600_000).then(() => {
      throw new Error(`a task failed: ${JSON.stringify(failed()!.update!.status)}`);
    }),
  ]);
  const ms = performance.now() - t0;
  await sub.call({ type: "TEARDOWN" } as never).catch(() => undefined);
  sub.close();
  return ms;
}

async function main(): Promise<void> {
  await requireEngineAndImage(docker, IMAGE, DOCKER_MISSING);
  const masterPort = await freePort();
  const masterUrl = `http://127.0.0.1:${masterPort}`;
  const master = start("master", ["--port", String(masterPort), "--work_dir", join(root, "master"), "--log_level", "warn"]);
  await until("master health", async () => (await fetch(`${masterUrl}/health`)).ok, 120_000, master.out);
  const agent = start("agent", ["--master", `127.0.0.1:${masterPort}`, "--port", "0", "--work_dir", join(root, "agent"), "--containerizers", "docker,mesos",
    "--resources", `cpus:${N};mem:${64 * N + 1024};ports:[31000-32000]`, "--registration_backoff_factor", "0.1", "--log_level", "warn"]);
  const context = () => `--- master\n${master.out()}\n--- agent\n${agent.out()}`;
  await until("the agent to register", async () => ((await (await fetch(`${masterUrl}/master/slaves`)).json()) as { slaves: unknown[] }).slaves.length > 0, 120_000, context);
  console.log(`docker-launch-e2e: N=${N} rounds=${ROUNDS} image=${IMAGE}: scheduler ACCEPT → master → agent (docker containerizer) → TASK_RUNNING at the scheduler, peer = docker run -d (CLI 20.10)`);
  const caravel: number[] = [];
  const peer: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (["peer", "caravel"] as const) : (["caravel", "peer"] as const);
    for (const who of order) {
      const ms = who === "caravel" ? await caravelRound(masterUrl, context) : await peerRound({ root, run: RUN, image: IMAGE }, N);
      (who === "caravel" ? caravel : peer).push(ms);
      console.log(`round ${round + 1} ${who}: ${N} running after ${(ms / 1000).toFixed(2)} s`);
      await cleanup();
    }
  }
  const c = median(caravel);
  const p = median(peer);
  record({
    benchmark: `docker launch ×${N} through master and agent`,
    settings: `one ACCEPT of ${N} busybox \`sleep 3600\` tasks (DOCKER, bridge, 0.1 cpu, 32 MiB) → caravel-master → caravel-agent (docker containerizer, Init, sandbox bind mount) → TASK_RUNNING at the scheduler, acked as they come; peer: ${N} \`docker run -d\` in parallel, same settings; median of ${ROUNDS}; engine 20.10`,
    caravel: `${(c / 1000).toFixed(2)} s until all RUNNING`,
    peer: `docker run -d ×${N}: ${(p / 1000).toFixed(2)} s`,
    ratio: `${(c / p).toFixed(2)}× (goal ≤ 1.2)`,
  });
}

let code = 0;
try {
  await main();
} catch (err) {
  console.error(err);
  code = 1;
} finally {
  for (const c of children) c.kill("SIGKILL");
  await cleanup().catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
}
process.exit(code);
