/**
 * Docker launch throughput: N busybox containers started at once through Caravel's Docker
 * containerizer, side by side with the same N by `docker run -d` (the 20.10 CLI matching the engine),
 * each with the same settings (Init, 32 MiB memory, cpu shares for 0.1 cpu, the sandbox bind-mounted
 * as working directory, bridge network, labels). Figure: wall time from the first request until every
 * container runs (launch resolved / `docker run -d` exited 0). Goal: ratio ≤ 1.2.
 *
 * LEVEL: the containerizer (DockerContainerizer.launch × N in one process: image check, create,
 * start, log follow, inspect). The same through a real master and agent (RUN_TASK → TASK_RUNNING at
 * the scheduler) is bench/docker-launch-e2e.bench.ts.
 *
 *   node --conditions=source --import tsx bench/docker-launch.bench.ts      # N=50, ROUNDS=1
 *   N=20 ROUNDS=2 node --conditions=source --import tsx bench/docker-launch.bench.ts
 * Every container carries the label caravel.bench=<run id> and is removed afterwards, even on failure.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TaskInfo } from "@caravel/api";
import { DockerContainerizer, DOCKER_MISSING } from "../packages/agent/src/containerizers/docker/index.js";
import type { LaunchSpec } from "../packages/agent/src/containerizers/types.js";
import { median, record } from "./lib/record.js";
import { peerRound, requireEngineAndImage } from "./lib/docker-peer.js";

const N = Number(process.env["N"] ?? 50);
const ROUNDS = Number(process.env["ROUNDS"] ?? 1);
const IMAGE = "local/busybox:1";
const RUN = `dl-${randomUUID().slice(0, 8)}`;
// The containerizer's own dockerode client (bench/ does not depend on dockerode itself).
const docker = new DockerContainerizer().docker;
const root = mkdtempSync(join(tmpdir(), "caravel-docker-bench-"));

async function cleanup(): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [`caravel.bench=${RUN}`] } });
  // Removal in small batches: 50 parallel force-removals make the engine slow for everyone.
  for (let i = 0; i < list.length; i += 10) {
    await Promise.all(list.slice(i, i + 10).map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  }
}

function spec(i: number): LaunchSpec {
  const containerId = `${RUN}-c-${i}-${randomUUID().slice(0, 6)}`;
  const sandbox = join(root, containerId);
  mkdirSync(sandbox, { recursive: true });
  const task = TaskInfo.parse({
    name: "bench",
    task_id: { value: containerId },
    agent_id: { value: "bench-agent" },
    resources: [],
    command: { value: "sleep 3600" },
    labels: { labels: [{ key: "caravel.bench", value: RUN }] },
    container: { type: "DOCKER", docker: { image: IMAGE, network: "BRIDGE" } },
  });
  return { containerId, agentId: "bench-agent", frameworkId: "bench", task, sandbox, env: { MESOS_SANDBOX: sandbox }, limits: { cpus: 0.1, memMb: 32, diskMb: 0, gpus: 0 }, ports: [], volumes: [] };
}

async function caravelRound(): Promise<number> {
  const containerizer = new DockerContainerizer({ docker });
  const specs = Array.from({ length: N }, (_, i) => spec(i));
  const start = performance.now();
  await Promise.all(specs.map((s) => containerizer.launch(s)));
  const elapsed = performance.now() - start;
  await containerizer.close();
  return elapsed;
}

async function main(): Promise<void> {
  await requireEngineAndImage(docker, IMAGE, DOCKER_MISSING);
  console.log(`docker-launch: N=${N} rounds=${ROUNDS} image=${IMAGE} level=containerizer (DockerContainerizer.launch), peer=docker run -d (CLI /usr/bin/docker 20.10)`);
  const caravel: number[] = [];
  const peer: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate who goes first so engine warm-up favours neither.
    const order = round % 2 === 0 ? (["peer", "caravel"] as const) : (["caravel", "peer"] as const);
    for (const who of order) {
      const ms = who === "caravel" ? await caravelRound() : await peerRound({ root, run: RUN, image: IMAGE }, N);
      (who === "caravel" ? caravel : peer).push(ms);
      console.log(`round ${round + 1} ${who}: ${N} running after ${(ms / 1000).toFixed(2)} s`);
      await cleanup();
    }
  }
  const c = median(caravel);
  const p = median(peer);
  record({
    benchmark: `docker launch ×${N} (containerizer level; through master+agent: docker-launch-e2e)`,
    settings: `${N} busybox \`sleep 3600\` in parallel, Init, 32 MiB, 0.1 cpu shares, bridge, sandbox bind mount; median of ${ROUNDS}; engine 20.10`,
    caravel: `${(c / 1000).toFixed(2)} s until all running`,
    peer: `docker run -d ×${N} in parallel: ${(p / 1000).toFixed(2)} s`,
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
  await cleanup();
  rmSync(root, { recursive: true, force: true });
}
process.exit(code);
