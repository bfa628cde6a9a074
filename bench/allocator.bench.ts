/**
 * Allocator benchmark in the shape of Mesos' `HierarchicalAllocator_BENCHMARK_Test.DeclineOffers`
 * (src/tests/hierarchical_allocator_tests.cpp), run in-process with a simulated clock:
 *
 * - A agents of `cpus:24;mem:4096;disk:4096;ports:[31000-32000]`; on each, one framework
 *   (round-robin) already uses 16 cpus and 16 ports, so 8 cpus, all mem and disk and the other
 *   ports are free;
 * - F frameworks in one role; every round they decline every offer with refuse_seconds = INT_MAX
 *   (a filter per agent that keeps growing), then one allocation cycle runs and is timed.
 *
 * Mesos cannot be built on this machine, so the peer figures are Mesos' published numbers
 * (shared/reference/perf-anchors.md §1a): DeclineOffers 10k agents × 1k frameworks ≈ 1.06 s per
 * allocate() after commit 6ef0df93f (1.7.x), and ≈ 3.8 s for 20k × 2k on Mesos 1.8 (1.7 blog chart).
 *
 * Also measured: a new framework's first offer with 1,000 idle agents (addFramework → the
 * allocation that contains it), at the allocator level.
 *
 * Run: node --conditions=source --import tsx bench/allocator.bench.ts   (ROUNDS=n, SIZES=10000x1000,…;
 * rows are appended to BENCHMARKS.md unless NO_RECORD=1).
 */
import { parseResources } from "@caravel/api";
import type { Resource } from "@caravel/api";
import { HierarchicalAllocator } from "../packages/master/src/allocator/index.js";
import type { Allocation } from "../packages/master/src/allocator/index.js";
import { machine, median, record } from "./lib/record.js";
import type { BenchRow } from "./lib/record.js";

const ROUNDS = Number(process.env.ROUNDS ?? 10);
const SIZES = (process.env.SIZES ?? "10000x1000,20000x2000").split(",").map((s) => s.split("x").map(Number) as [number, number]);
const PEERS: Record<string, { seconds: number; source: string }> = {
  "10000x1000": { seconds: 1.06, source: "Mesos 1.7.x DeclineOffers/21 (commit 6ef0df93f)" },
  "20000x2000": { seconds: 3.8, source: "Mesos 1.8.0 allocation cycle (1.7 perf blog chart)" },
};
const INT_MAX = 2147483647;
const AGENT = parseResources("cpus:24;mem:4096;disk:4096;ports:[31000-32000]");
// 16 cpus and 16 single ports in use on every agent.
const USED: Resource[] = parseResources(`cpus:16;ports:[${Array.from({ length: 16 }, (_, i) => `${31000 + 2 * i}-${31000 + 2 * i}`).join(",")}]`);

const ms = (x: number): string => `${x.toFixed(1)} ms`;

/** CPU time of this process in ms: on a shared, loaded machine it shows what a cycle costs alone. */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function declineOffers(agents: number, frameworks: number): { allocateMs: number[]; allocateCpuMs: number[]; recoverMs: number[]; addAgentsMs: number; addFrameworksMs: number; offers: number[] } {
  const allocator = new HierarchicalAllocator();
  let t = performance.now();
  for (let f = 0; f < frameworks; f++) allocator.addFramework({ id: `fw-${f}`, roles: ["role1"], capabilities: [] });
  const addFrameworksMs = performance.now() - t;
  t = performance.now();
  for (let a = 0; a < agents; a++) {
    allocator.addAgent({ id: `agent-${a}`, hostname: `host-${a}`, total: AGENT }, [{ frameworkId: `fw-${a % frameworks}`, role: "role1", resources: USED }]);
  }
  const addAgentsMs = performance.now() - t;

  const allocateMs: number[] = [];
  const allocateCpuMs: number[] = [];
  const recoverMs: number[] = [];
  const offers: number[] = [];
  let now = 0;
  let pending: Allocation[] = allocator.allocate(now);
  for (let round = 0; round < ROUNDS; round++) {
    t = performance.now();
    for (const o of pending) allocator.recover(o.frameworkId, o.agentId, o.role, o.resources, { refuseSeconds: INT_MAX, now });
    recoverMs.push(performance.now() - t);
    now += 1000;
    t = performance.now();
    const c = cpuMs();
    pending = allocator.allocate(now);
    const took = performance.now() - t;
    allocateCpuMs.push(cpuMs() - c);
    allocateMs.push(took);
    offers.push(pending.length);
    console.log(`  round ${round} allocate() took ${ms(took)} to make ${pending.length} offers (cpu ${ms(allocateCpuMs[round]!)}; recover of the previous ${offers[round - 1] ?? "first"} offers: ${ms(recoverMs[round]!)})`);
  }
  return { allocateMs, allocateCpuMs, recoverMs, addAgentsMs, addFrameworksMs, offers };
}

function firstOffer(agents: number, trials: number): number[] {
  const allocator = new HierarchicalAllocator();
  allocator.addFramework({ id: "incumbent", roles: ["role1"], capabilities: [] });
  for (let a = 0; a < agents; a++) allocator.addAgent({ id: `agent-${a}`, hostname: `host-${a}`, total: AGENT });
  // The incumbent declines everything for good: the agents are idle and fully filtered.
  for (const o of allocator.allocate(0)) allocator.recover(o.frameworkId, o.agentId, o.role, o.resources, { refuseSeconds: INT_MAX, now: 0 });
  allocator.allocate(1000);
  const out: number[] = [];
  for (let i = 0; i < trials; i++) {
    const now = 2000 + i * 1000;
    const t = performance.now();
    allocator.addFramework({ id: `new-${i}`, roles: ["role1"], capabilities: [] });
    const got = allocator.allocate(now).filter((o) => o.frameworkId === `new-${i}`);
    out.push(performance.now() - t);
    if (got.length !== agents) throw new Error(`expected ${agents} offers for the new framework, got ${got.length}`);
    allocator.removeFramework(`new-${i}`);
    // The removal gave every agent back: one cycle finds them idle again before the next trial.
    allocator.allocate(now + 500);
  }
  return out;
}

const rows: BenchRow[] = [];

console.log(`Allocator benchmark (Caravel in-process vs Mesos' published figures; Mesos is not built here)`);
console.log(`machine: ${machine()}`);
console.log(`node ${process.version}, ${ROUNDS} rounds per size, agents ${"cpus:24;mem:4096;disk:4096;ports:[31000-32000]"} with 16 cpus + 16 ports in use, refuse_seconds=INT_MAX`);
for (const [agents, frameworks] of SIZES) {
  const key = `${agents}x${frameworks}`;
  console.log(`\nDeclineOffers ${agents} agents × ${frameworks} frameworks`);
  const r = declineOffers(agents, frameworks);
  const med = median(r.allocateMs);
  console.log(`  add ${frameworks} frameworks: ${ms(r.addFrameworksMs)}; add ${agents} agents: ${ms(r.addAgentsMs)}; recover (decline) median ${ms(median(r.recoverMs))}`);
  console.log(`  allocate() median ${ms(med)} wall (min ${ms(Math.min(...r.allocateMs))}, max ${ms(Math.max(...r.allocateMs))}), median ${ms(median(r.allocateCpuMs))} cpu`);
  const peer = PEERS[key];
  if (peer) {
    const ratio = med / (peer.seconds * 1000);
    const goal = agents === 10000 ? "goal ≤ 250 ms" : "goal ≤ 1 s";
    console.log(`  peer: ${peer.source} ≈ ${peer.seconds * 1000} ms → Caravel/Mesos ratio ${ratio.toFixed(3)} (${(1 / ratio).toFixed(1)}× faster)`);
    rows.push({
      benchmark: "allocator DeclineOffers, one allocate() cycle",
      settings: `${agents} agents × ${frameworks} frameworks, 16 cpus + 16 ports used per agent, refuse_seconds=INT_MAX, median of ${ROUNDS} rounds, in-process`,
      caravel: `${ms(med)} (cpu ${ms(median(r.allocateCpuMs))}, min ${ms(Math.min(...r.allocateMs))})`,
      peer: `${peer.source}: ≈${peer.seconds} s (published; Mesos not built here)`,
      ratio: `${ratio.toFixed(2)}× Mesos (${goal})`,
    });
  }
}

const AGENTS_FIRST = 1000;
const first = firstOffer(AGENTS_FIRST, 21);
console.log(`\nNew framework's first offer with ${AGENTS_FIRST} idle agents (addFramework → allocation containing it): median ${ms(median(first))} (min ${ms(Math.min(...first))}, max ${ms(Math.max(...first))})`);
rows.push({
  benchmark: "allocator: a new framework's first offer",
  settings: `${AGENTS_FIRST} idle agents (fully filtered by an incumbent), addFramework → allocate(), median of ${first.length}, in-process`,
  caravel: ms(median(first)),
  peer: "— (Mesos publishes none; end to end: first-offer.bench.ts)",
  ratio: "—",
});
console.log("\nBENCHMARKS.md rows:");
for (const row of rows) record(row);
