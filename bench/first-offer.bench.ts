/**
 * A new framework's first offer with 1,000 idle agents (real master and agent processes; the agents
 * are simulated, 1,000 in one caravel-agent process). Measured from sending SUBSCRIBE to receiving the
 * first OFFERS event, over 100 frameworks one after another that each tear down afterwards (after
 * WARMUP = 5 that are timed and printed but not counted: the first framework after a master starts
 * pays for its JIT and its per-agent offer caches). Goal: p99 ≤ 50 ms. Two shapes:
 *
 * 1. free agents: nobody else holds or refuses anything (each new framework gets all 1,000 agents);
 * 2. incumbents: INCUMBENTS frameworks (default 10) stay subscribed and have declined every agent for
 *    an hour, so every agent is idle for them; each new framework waits until an allocation cycle
 *    has run after the previous one's teardown (as in a cluster where frameworks arrive now and then).
 *
 * Peer: Mesos publishes no figure for this; it also allocates at once when a framework is added.
 * Env: NO_RECORD=1 prints the rows instead of appending them to BENCHMARKS.md; INCUMBENTS=0 skips
 * shape 2; PROFILE=1 runs the master with --cpu-prof (profile in PROFILE_DIR once the bench stops it).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { subscribeScheduler, type SchedulerSubscription } from "@caravel/api";
import { binPath, freePort, startProcess, stopAllProcesses, waitFor } from "@caravel/testing";
import { median, percentile, record, type BenchRow } from "./lib/record.js";

const AGENTS = 1000;
const FRAMEWORKS = 100;
/** Frameworks subscribed (and timed, but not counted) first in each shape: the master's JIT and caches warm up. */
const WARMUP = Number(process.env.WARMUP ?? 5);
const INCUMBENTS = Number(process.env.INCUMBENTS ?? 10);
const PROFILE = process.env.PROFILE === "1";
const PROFILE_DIR = "/tmp/caravel-first-offer-prof";
const dir = mkdtempSync(join(tmpdir(), "caravel-first-offer-"));

/** Events of a subscription read by hand: leaving a for-await loop would close the stream. */
const next = (sub: SchedulerSubscription) => sub.events[Symbol.asyncIterator]().next();

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

  const allocationRuns = async (): Promise<number> => ((await (await fetch(`${master.url}/metrics/snapshot`)).json()) as Record<string, number>)["allocator/mesos/allocation_runs"] ?? 0;

  /** 100 frameworks one after another: SUBSCRIBE → first OFFERS, then TEARDOWN (and `between`). */
  async function firstOffers(label: string, between?: () => Promise<void>): Promise<number[]> {
    const latencies: number[] = [];
    const subscribedAt: number[] = [];
    const warmup: number[] = [];
    for (let i = -WARMUP; i < FRAMEWORKS; i++) {
      const started = performance.now();
      const sub = await subscribeScheduler(master.url, { frameworkInfo: { user: "root", name: `${label}-${i}` } });
      const subscribed = performance.now() - started;
      for (;;) {
        const { value, done } = await next(sub);
        if (done || value.type === "OFFERS") break;
      }
      if (i < 0) warmup.push(performance.now() - started);
      else {
        subscribedAt.push(subscribed);
        latencies.push(performance.now() - started);
      }
      await sub.call({ type: "TEARDOWN" });
      sub.close();
      await between?.();
    }
    console.log(`${label}: warm-up frameworks (ms): ${warmup.map((l) => l.toFixed(1)).join(", ")}`);
    console.log(`${label}: slowest (ms, run): ${JSON.stringify([...latencies].map((l, i) => [Math.round(l), i]).sort((a, b) => b[0]! - a[0]!).slice(0, 6))}`);
    console.log(`${label}: SUBSCRIBED received after p50 ${median(subscribedAt).toFixed(1)} ms, p99 ${percentile(subscribedAt, 0.99).toFixed(1)} ms`);
    console.log(`${label}: first OFFERS after p50 ${median(latencies).toFixed(1)} ms, p99 ${percentile(latencies, 0.99).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`);
    return latencies;
  }

  const row = (latencies: number[], settings: string): BenchRow => {
    const p99 = percentile(latencies, 0.99);
    return {
      benchmark: "master: a new framework's first offer",
      settings,
      caravel: `p50 ${median(latencies).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`,
      peer: "Mesos: no published figure",
      ratio: `goal p99 ≤ 50 ms: ${p99 <= 50 ? "met" : "missed"}`,
    };
  };
  const rows = [row(await firstOffers("free"), `${AGENTS} idle simulated agents (cpus:24;mem:4096), ${FRAMEWORKS} frameworks one after another (after ${WARMUP} warm-up ones), SUBSCRIBE sent → first OFFERS received, real processes`)];

  if (INCUMBENTS > 0) {
    const incumbents: SchedulerSubscription[] = [];
    for (let i = 0; i < INCUMBENTS; i++) {
      const sub = await subscribeScheduler(master.url, { frameworkInfo: { user: "root", name: `incumbent-${i}` } });
      incumbents.push(sub);
      const ids: Array<{ value: string }> = [];
      while (ids.length < AGENTS) {
        const { value, done } = await next(sub);
        if (done) throw new Error(`incumbent ${i}: stream ended after ${ids.length} offers`);
        if (value.type === "OFFERS") ids.push(...(value.offers?.offers ?? []).map((o) => o.id));
      }
      await sub.call({ type: "DECLINE", decline: { offer_ids: ids, filters: { refuse_seconds: 3600 } } });
    }
    // A cycle after a teardown visits every agent (the resources came back) and finds them idle again.
    const cycleAfter = async (): Promise<void> => {
      const before = await allocationRuns();
      await waitFor(async () => (await allocationRuns()) > before, { timeoutMs: 30_000, intervalMs: 50, message: "an allocation cycle" });
    };
    await cycleAfter();
    rows.push(row(await firstOffers("incumbents", cycleAfter), `${AGENTS} idle simulated agents (cpus:24;mem:4096) that ${INCUMBENTS} subscribed frameworks declined for 1 h, ${FRAMEWORKS} frameworks one after another (after ${WARMUP} warm-up ones; an allocation cycle between), SUBSCRIBE sent → first OFFERS received, real processes`));
    for (const sub of incumbents) sub.close();
  }
  for (const r of rows) record(r);
} finally {
  await stopAllProcesses();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
