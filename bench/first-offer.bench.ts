/**
 * A new framework's first offer with 1,000 idle agents (real master and agent processes; the agents
 * are simulated, 1,000 in one caravel-agent process). Measured from sending SUBSCRIBE to receiving the
 * first OFFERS event, over 100 frameworks that each tear down afterwards. Goal: p99 ≤ 50 ms.
 * Peer: Mesos publishes no figure for this; it also allocates at once when a framework is added.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { subscribeScheduler } from "@caravel/api";
import { binPath, freePort, startProcess, stopAllProcesses, waitFor } from "@caravel/testing";
import { median, percentile, record } from "./lib/record.js";

const AGENTS = 1000;
const FRAMEWORKS = 100;
/** PROFILE=1: the master runs with --cpu-prof (profile in PROFILE_DIR once the bench stops it). */
const PROFILE = process.env.PROFILE === "1";
const PROFILE_DIR = "/tmp/caravel-first-offer-prof";
const dir = mkdtempSync(join(tmpdir(), "caravel-first-offer-"));
try {
  const port = await freePort();
  const master = await startProcess({
    name: "master",
    command: process.execPath,
    args: [...(PROFILE ? ["--cpu-prof", "--cpu-prof-dir", PROFILE_DIR] : []), binPath("master"), "--port", String(port), "--work_dir", join(dir, "master"), "--log_level", "warn"],
    healthUrl: `http://127.0.0.1:${port}/health`,
  });
  const agentPort = await freePort();
  await startProcess({
    name: "agents",
    command: process.execPath,
    args: [binPath("agent"), "--master", `127.0.0.1:${port}`, "--port", String(agentPort), "--containerizers=sim", "--simulate", String(AGENTS), "--work_dir", join(dir, "agents"), "--resources", "cpus:24;mem:4096;disk:4096;ports:[31000-32000]", "--log_level", "warn"],
    healthUrl: `http://127.0.0.1:${agentPort}/health`,
  });
  await waitFor(async () => {
    const slaves = (await (await fetch(`${master.url}/master/slaves`)).json()) as { slaves: unknown[] };
    return slaves.slaves.length === AGENTS;
  }, { timeoutMs: 120_000, message: `${AGENTS} agents registered` });

  const latencies: number[] = [];
  const subscribedAt: number[] = [];
  for (let i = 0; i < FRAMEWORKS; i++) {
    const started = performance.now();
    const sub = await subscribeScheduler(master.url, { frameworkInfo: { user: "root", name: `bench-${i}` } });
    subscribedAt.push(performance.now() - started);
    // Read by hand: leaving a for-await loop would close the stream before TEARDOWN.
    const events = sub.events[Symbol.asyncIterator]();
    for (;;) {
      const { value, done } = await events.next();
      if (done || value.type === "OFFERS") break;
    }
    latencies.push(performance.now() - started);
    await sub.call({ type: "TEARDOWN" });
    sub.close();
  }
  console.log("slowest (ms, run):", [...latencies].map((l, i) => [Math.round(l), i]).sort((a, b) => b[0]! - a[0]!).slice(0, 6));
  const p99 = percentile(latencies, 0.99);
  console.log(`SUBSCRIBED received after: p50 ${median(subscribedAt).toFixed(1)} ms, p99 ${percentile(subscribedAt, 0.99).toFixed(1)} ms`);
  console.log({ p50: median(latencies).toFixed(1), p99: p99.toFixed(1), max: Math.max(...latencies).toFixed(1) });
  const row = {
    benchmark: "master: a new framework's first offer",
    settings: `${AGENTS} idle simulated agents (cpus:24;mem:4096), ${FRAMEWORKS} frameworks one after another, SUBSCRIBE sent → first OFFERS received, real processes`,
    caravel: `p50 ${median(latencies).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`,
    peer: "Mesos: no published figure",
    ratio: `goal p99 ≤ 50 ms: ${p99 <= 50 ? "met" : "missed"}`,
  };
  if (process.env.NO_RECORD === "1") console.log(row);
  else record(row);
} finally {
  await stopAllProcesses();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
