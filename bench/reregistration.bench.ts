/**
 * Re-registration after a master failover, measured the way Mesos' published figure was (its
 * MasterFailover benchmark: the agents are actors in the master's own process, messages passed
 * locally, no TCP). Here every agent is an in-memory connection handed to the new leader's HTTP server:
 * its SUBSCRIBE still goes through Node's HTTP parser, the agent protocol's parsing and validation and
 * the whole re-registration; only the kernel's TCP work is left out. bench/failover-scale.bench.ts
 * measures the same over loopback TCP with separate processes.
 *
 *   node --import tsx bench/reregistration.bench.ts            # 10,000 agents / 100,000 tasks, RUNS=5
 *   AGENTS=3000 RUNS=1 PROFILE=1 node --import tsx bench/reregistration.bench.ts   # profiles in /tmp/caravel-reregistration-prof
 *   RUNS=1 CHILD_FLAGS=--trace-gc node --import tsx bench/reregistration.bench.ts  # extra node flags for the runs; their output is printed
 *
 * The master is the built one (run `pnpm -r build` first), as caravel-launch runs it: its agent-call
 * worker is built code, and its node flags (MASTER_NODE_FLAGS) are the launcher's. Each run is a child
 * process of its own, so that no run inherits another's heap.
 *
 * Each run: a leader (its registry on a real 3-node ZooKeeper) admits AGENTS agents with
 * TASKS_PER_AGENT running tasks each (shaped as in Mesos' benchmark: bench/lib/simulated-agent.ts),
 * then goes away; a new master is elected on the same registry
 * and every agent re-subscribes after a random [0, SPREAD_MS] (Caravel's agent waits up to 0.25 s).
 * Measured from the election (the new master starts recovering its registry) until every agent has
 * its SUBSCRIBED and the new leader counts every task running.
 */
import { spawnSync } from "node:child_process";
import { Duplex } from "node:stream";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { startZooKeeperEnsemble } from "@caravel/coordination/testing";
import { MASTER_NODE_FLAGS } from "@caravel/launcher";
import { createMaster, MasterConfig, openRegistryStore, type MasterServer } from "@caravel/master";
import { silentLogger } from "@caravel/runtime";
import { median, record } from "./lib/record.js";
import { AGENT_SHAPE, subscribeBody, subscribeRequest } from "./lib/simulated-agent.js";

const AGENTS = Number(process.env["AGENTS"] ?? 10_000);
const TASKS_PER_AGENT = Number(process.env["TASKS_PER_AGENT"] ?? 10);
const SPREAD_MS = Number(process.env["SPREAD_MS"] ?? 250);
const RETRY_MS = 100;
const RUNS = Number(process.env["RUNS"] ?? 5);

/** The client's end of an in-memory connection: what the master writes arrives in `onWrite`. */
class MemoryConnection extends Duplex {
  readonly remoteAddress = "127.0.0.1";
  readonly remotePort = 5051;
  constructor(private readonly onWrite: (text: string) => void) {
    super({ decodeStrings: false }); // as a net.Socket: what the master writes as text stays text
  }
  override _read(): void {}
  override _write(chunk: Buffer | string, _encoding: string, callback: () => void): void {
    this.onWrite(typeof chunk === "string" ? chunk : chunk.toString("latin1"));
    callback();
  }
  // What the master's HTTP layer asks of a socket.
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  setTimeout(): this {
    return this;
  }
}

/** An agent's connection: `onAnswer` learns whether its SUBSCRIBE was answered with SUBSCRIBED. */
function agentConnection(onAnswer: (subscribed: boolean) => void): MemoryConnection {
  let head = "";
  return new MemoryConnection((text) => {
    if (head === "done") return;
    head += text;
    if (head.includes('"SUBSCRIBED"')) {
      head = "done";
      onAnswer(true);
    } else if (head.length >= 12 && !head.startsWith("HTTP/1.1 200") && head.includes("\r\n\r\n")) {
      head = "done";
      onAnswer(false);
    }
  });
}

/**
 * Reads `/master/state` as Mesos-DNS and the UIs poll it: its time and size. The first read after a
 * failover also parses the TaskInfos that re-registration left as text.
 */
function readState(master: Master): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  let bytes = 0;
  let tail = "";
  return new Promise((resolve) => {
    const connection = new MemoryConnection((text) => {
      bytes += text.length;
      tail = (tail + text).slice(-7);
      if (tail.endsWith("\r\n0\r\n\r\n")) {
        connection.destroy();
        resolve({ ms: performance.now() - started, bytes });
      }
    });
    master.emitConnection(connection);
    connection.push("GET /master/state HTTP/1.1\r\nHost: master\r\n\r\n");
  });
}

// Built in the measuring child only (55 MB at 10,000 agents).
const requests = process.env["REREGISTRATION_ZK"] ? Array.from({ length: AGENTS }, (_, i) => subscribeRequest("master", subscribeBody(i, TASKS_PER_AGENT))) : [];

interface Round {
  connections: MemoryConnection[];
  first: number;
  last: number;
  retries: number;
}

/**
 * Every agent subscribes to `master` after a random delay up to `spreadMs`; one refused (503 while
 * the new leader recovers its registry) tries again after RETRY_MS, as over TCP.
 */
function subscribeAll(master: Master, spreadMs: number): Promise<Round> {
  const round: Round = { connections: new Array(AGENTS), first: 0, last: 0, retries: 0 };
  let pending = AGENTS;
  return new Promise((resolve) => {
    const attempt = (index: number): void => {
      const connection = agentConnection((subscribed) => {
        if (!subscribed) {
          round.retries++;
          connection.destroy();
          setTimeout(() => attempt(index), RETRY_MS);
          return;
        }
        round.connections[index] = connection;
        round.last = performance.now();
        round.first ||= round.last;
        if (--pending === 0) resolve(round);
      });
      master.emitConnection(connection);
      connection.push(requests[index]!);
    };
    // One timer per millisecond of the spread, not per agent: the simulation's own cost stays small.
    const slots = new Map<number, number[]>();
    for (let i = 0; i < AGENTS; i++) {
      const ms = Math.floor(Math.random() * spreadMs);
      const slot = slots.get(ms);
      if (slot) slot.push(i);
      else slots.set(ms, [i]);
    }
    for (const [ms, agents] of slots) setTimeout(() => agents.forEach(attempt), ms);
  });
}

interface Master {
  server: MasterServer;
  emitConnection(connection: Duplex): void;
  elect(): Promise<void>;
  close(): Promise<void>;
}

/** A master on the registry at `zkUrl`, connected to ZooKeeper and serving, leading once `elect()` is called. */
async function startMaster(zkUrl: string): Promise<Master> {
  const config = MasterConfig.parse({ ip: "127.0.0.1", port: 0, zk: zkUrl, zk_session_timeout: 10, agent_ping_timeout: 600, agent_reregister_timeout: 600 });
  const store = await openRegistryStore(config);
  let leading = false;
  const server = await createMaster({ config, log: silentLogger(), store, leadership: { isLeader: () => leading, leader: () => undefined } });
  const listening = await server.listen();
  return {
    server,
    emitConnection: (connection) => listening.server.emit("connection", connection),
    elect: () => {
      leading = true;
      return server.lead();
    },
    close: async () => {
      await server.close();
      await store.close();
    },
  };
}

function runningTasks(master: MasterServer): number {
  let n = 0;
  for (const fw of master.ctx.frameworks.values()) for (const t of fw.tasks.values()) if (t.state === "TASK_RUNNING") n++;
  return n;
}

/** A first leader admits every agent (its registry lands in ZooKeeper), then goes away. */
async function admitAll(zkUrl: string): Promise<void> {
  const first = await startMaster(zkUrl);
  await first.elect();
  (await subscribeAll(first, 2000)).connections.forEach((c) => c.destroy());
  await first.close();
}

interface RunResult {
  ms: number;
  recoveredMs: number;
  firstMs: number;
  cpuMs: number;
  systemMs: number;
  retries: number;
  firstState: { ms: number; bytes: number };
  nextState: { ms: number; bytes: number };
}

/** One run (in a child process): admit, fail over, time the re-registration. */
async function measureOnce(zkUrl: string): Promise<RunResult> {
  await admitAll(zkUrl);
  // Nothing of the first leader may stay behind in this heap: a new leader starts with its own.
  (globalThis as { gc?: () => void }).gc?.();
  // The standby has its ZooKeeper session and has read the registry ahead (as every HA follower
  // does); it is elected, reads what changed since (nothing here) while the agents come back (their
  // SUBSCRIBEs wait for the recovery), then takes them back.
  const second = await startMaster(zkUrl);
  await second.server.standBy();
  const cpu = process.cpuUsage();
  const electedAt = performance.now();
  const round = subscribeAll(second, SPREAD_MS);
  await second.elect();
  const recoveredAt = performance.now();
  const { first, last, connections, retries } = await round;
  const used = process.cpuUsage(cpu);
  const leader = second.server;
  if (leader.ctx.agents.size !== AGENTS || runningTasks(leader) !== total) {
    throw new Error(`after the failover the new leader has ${leader.ctx.agents.size} agents and ${runningTasks(leader)} running tasks; expected ${AGENTS} and ${total}`);
  }
  const firstState = await readState(second);
  const nextState = await readState(second);
  connections.forEach((c) => c.destroy());
  await second.close();
  return { ms: last - electedAt, recoveredMs: recoveredAt - electedAt, firstMs: first - electedAt, cpuMs: (used.user + used.system) / 1000, systemMs: used.system / 1000, retries, firstState, nextState };
}

const total = AGENTS * TASKS_PER_AGENT;
const RESULT = "reregistration-result ";

if (process.env["REREGISTRATION_ZK"]) {
  const result = await measureOnce(process.env["REREGISTRATION_ZK"]);
  console.log(RESULT + JSON.stringify(result));
  process.exit(0);
}

const zk = await startZooKeeperEnsemble(3, { tickTimeMs: 500 });
const results: number[] = [];
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
for (let run = 0; run < RUNS; run++) {
  const profile = process.env["PROFILE"] ? ["--cpu-prof", "--cpu-prof-dir", "/tmp/caravel-reregistration-prof"] : [];
  const child = spawnSync(process.execPath, [...MASTER_NODE_FLAGS, "--expose-gc", ...profile, ...(process.env["CHILD_FLAGS"]?.split(" ").filter(Boolean) ?? []), "--import", "tsx", fileURLToPath(import.meta.url)], {
    env: { ...process.env, REREGISTRATION_ZK: zk.url(`/reregistration-${run}`) },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (process.env["CHILD_FLAGS"]) console.log(child.stdout);
  const line = child.stdout.split("\n").find((l) => l.startsWith(RESULT));
  if (!line) throw new Error(`run ${run + 1} failed (exit ${child.status}): ${child.stdout.slice(-2000)}`);
  const r = JSON.parse(line.slice(RESULT.length)) as RunResult;
  results.push(r.ms);
  console.log(`run ${run + 1}: election → every agent re-registered ${s(r.ms)} (registry recovered after ${r.recoveredMs.toFixed(0)} ms, first SUBSCRIBED after ${r.firstMs.toFixed(0)} ms); CPU ${s(r.cpuMs)} (both threads; ${s(r.systemMs)} of it in the kernel); ${r.retries} SUBSCRIBEs refused; load ${loadavg()[0]!.toFixed(2)}`);
  const mb = (r.firstState.bytes / 1e6).toFixed(0);
  console.log(`       then /master/state (${mb} MB) read in ${s(r.firstState.ms)} the first time, ${s(r.nextState.ms)} the next`);
}

record({
  benchmark: `re-registration after a master failover: ${AGENTS} agents / ${total} tasks, agents in the master's process (as Mesos measures it)`,
  settings: `${AGENT_SHAPE}; in-memory connections through the master's HTTP server (no TCP), registry on a 3-node ZK (tickTime 500), the new leader a warm standby (registry read ahead), each agent re-subscribes after a random [0, ${SPREAD_MS} ms] from the election; master node flags ${MASTER_NODE_FLAGS.join(" ")}; median of ${RUNS} runs, each in a fresh process`,
  caravel: `${s(median(results))} from election to every agent re-registered (runs: ${results.map(s).join(", ")})`,
  peer: "Mesos 1.5 ≈4.5 s at 10k agents/100k tasks (published; agents as in-process actors, 2015 MacBook Pro 2.8 GHz i7)",
  ratio: `${(median(results) / 4500).toFixed(2)}× Mesos; goal ≤ 3 s`,
});
await zk.stop();
process.exit(0);
