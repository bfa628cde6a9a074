/**
 * Master failover at scale: AGENTS agents with TASKS_PER_AGENT running tasks each re-register with a
 * newly elected leader. Real 3-node ZooKeeper (Debian's, tickTime 500), 2 master processes
 * (`--zk … --zk_session_timeout 3`); the agents are simulated in this process as raw clients of the
 * agent protocol (one streaming SUBSCRIBE each, reporting their running tasks, as a real agent does
 * after a failover), following the leader through one ZooKeeper MasterDetector. Agent processes
 * would put 10,000 agents' own work on the same 2 cores; here the agent side costs one JSON body each.
 *
 *   node --conditions=source --import tsx bench/failover-scale.bench.ts             # 10,000 / 100,000
 *   AGENTS=1000 TASKS_PER_AGENT=10 node --conditions=source --import tsx bench/failover-scale.bench.ts
 *   PROFILE=1 …   # the new leader runs with --cpu-prof; the profile lands in /tmp/caravel-failover-prof
 *
 * Measured: kill -9 of the leader → the new leader is seen (detector) → every agent has its SUBSCRIBED
 * back (the master answers after merging the agent's tasks) and /metrics/snapshot counts every task
 * running. The goal (≤ 3 s) and Mesos 1.5's published ≈4.5 s are for the re-registration itself, from
 * the election on; the kill → election part is the ZooKeeper session timeout.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { Agent as HttpAgent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AGENT_API_PATH, parseResources } from "@caravel/api";
import { createMasterDetector, createZkStore, leaderEndpoint } from "@caravel/coordination";
import { startZooKeeperEnsemble } from "@caravel/coordination/testing";
import { binPath, freePort, waitFor } from "@caravel/testing";
import { record } from "./lib/record.js";

const AGENTS = Number(process.env["AGENTS"] ?? 10_000);
const TASKS_PER_AGENT = Number(process.env["TASKS_PER_AGENT"] ?? 10);
const SESSION = 3;
const PROFILE_DIR = "/tmp/caravel-failover-prof";

const started = Date.now();
const step = (what: string): void => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${what}`);
const work = mkdtempSync(join(tmpdir(), "caravel-failover-scale-"));
console.log(`work dir (master logs): ${work}`);
const zk = await startZooKeeperEnsemble(3, { tickTimeMs: 500 });
const zkUrl = zk.url("/mesos");
step("ZooKeeper ensemble up");
const children: ChildProcess[] = [];
process.on("exit", () => children.forEach((c) => c.kill("SIGKILL")));

const masterFlags = ["--zk", zkUrl, "--quorum", "2", "--zk_session_timeout", String(SESSION), "--agent_reregister_timeout", "600", "--agent_ping_timeout", "600", "--log_level", "warn"];
function startMaster(port: number, i: number, profile: boolean): ChildProcess {
  if (profile) mkdirSync(PROFILE_DIR, { recursive: true });
  const node = profile ? ["--cpu-prof", "--cpu-prof-dir", PROFILE_DIR] : [];
  const proc = spawn(process.execPath, [...node, binPath("master"), "--ip", "127.0.0.1", "--port", String(port), "--work_dir", join(work, `master-${i}`), ...masterFlags], { stdio: ["ignore", openSync(join(work, `master-${i}.log`), "a"), "inherit"] });
  children.push(proc);
  return proc;
}

// The first master leads; the second (profiled when asked) takes over after the kill.
const ports = [await freePort(), await freePort()];
const first = startMaster(ports[0]!, 0, false);
const detectorStore = await createZkStore(zkUrl, { sessionTimeoutMs: 10_000 });
const detector = await createMasterDetector(detectorStore, "/");
const leaderUrl = () => {
  const info = detector.current()?.info;
  return info ? `http://${leaderEndpoint(info)}` : undefined;
};
await waitFor(() => leaderUrl()?.endsWith(`:${ports[0]}`), { timeoutMs: 120_000, message: "the first master leads" });
step(`first master leads: ${leaderUrl()}`);
const second = startMaster(ports[1]!, 1, process.env["PROFILE"] === "1");

// The simulated agents: a body each (their tasks, RUNNING), and one streaming connection each.
const http = new HttpAgent({ keepAlive: false, maxSockets: Infinity });
const frameworkId = "failover-scale-framework";
const taskResources = parseResources("cpus:0.1;mem:32");
interface SimAgent {
  index: number;
  id?: string;
  req?: ReturnType<typeof request>;
}
// Ids of their own, as agents that had registered before (their tasks name them).
const agents: SimAgent[] = Array.from({ length: AGENTS }, (_, index) => ({ index, id: `bench-S${index}` }));
function body(agent: SimAgent): string {
  const hostname = `sim-${agent.index}`;
  const tasks = Array.from({ length: TASKS_PER_AGENT }, (_, k) => {
    const id = `t-${agent.index}-${k}`;
    const status = { task_id: { value: id }, state: "TASK_RUNNING", source: "SOURCE_EXECUTOR", timestamp: 1_700_000_000 };
    return {
      framework_id: { value: frameworkId },
      info: { name: id, task_id: { value: id }, agent_id: { value: agent.id ?? "" }, resources: taskResources, command: { shell: true, value: "sleep 1000" } },
      state: "TASK_RUNNING",
      latest_status: status,
    };
  });
  return JSON.stringify({
    type: "SUBSCRIBE",
    subscribe: {
      agent_info: { hostname, port: 5051, resources: parseResources("cpus:16;mem:16384;disk:10000"), attributes: [], ...(agent.id ? { id: { value: agent.id } } : {}) },
      ip: "127.0.0.1",
      version: "bench",
      tasks,
      frameworks: [{ user: "root", name: "failover-scale", id: { value: frameworkId }, failover_timeout: 3600, checkpoint: true, capabilities: [] }],
      containerizers: ["sim"],
    },
  });
}

/** Opens an agent's subscription; resolves when SUBSCRIBED arrives (its id is kept for re-registration). */
function subscribe(agent: SimAgent, base: string): Promise<void> {
  const url = new URL(AGENT_API_PATH, base);
  const payload = body(agent);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", agent: http, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } }, (res) => {
      if (res.statusCode !== 200) {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => reject(new Error(`agent ${agent.index}: SUBSCRIBE answered ${res.statusCode}: ${text.slice(0, 300)}`)));
        return;
      }
      firstAnswer ??= Date.now();
      let text = "";
      const onData = (chunk: Buffer): void => {
        text += chunk.toString("utf8");
        const match = /"type":"SUBSCRIBED".*?"agent_id":\{"value":"([^"]+)"/.exec(text);
        if (match) {
          agent.id = match[1];
          res.off("data", onData);
          req.setTimeout(0);
          res.resume(); // PINGs and the rest are read and dropped
          resolve();
        }
      };
      res.on("data", onData);
    });
    req.on("error", reject);
    // A SUBSCRIBE lost in an overflowing accept queue must not hold up the whole run.
    req.setTimeout(30_000, () => req.destroy(new Error(`agent ${agent.index}: no SUBSCRIBED within 30 s`)));
    agent.req = req;
    req.end(payload);
  });
}

let lastComplaint = 0;
let firstAnswer: number | undefined;
async function subscribeAll(base: string, batch = agents.length): Promise<void> {
  for (let i = 0; i < agents.length; i += batch) await subscribeSome(base, agents.slice(i, i + batch));
}

async function subscribeSome(base: string, some: SimAgent[]): Promise<void> {
  // Every agent at once, as after a failover (agents are separate machines); failures are retried.
  let pending = some;
  while (pending.length > 0) {
    const results = await Promise.allSettled(pending.map((a) => subscribe(a, base)));
    const failed = results.find((r) => r.status === "rejected");
    if (failed && /answered 4\d\d/.test(String((failed as PromiseRejectedResult).reason))) throw (failed as PromiseRejectedResult).reason;
    if (failed && Date.now() - lastComplaint > 5_000) {
      lastComplaint = Date.now();
      console.log(`retrying ${results.filter((r) => r.status === "rejected").length} subscriptions: ${(failed as PromiseRejectedResult).reason}`);
    }
    pending = pending.filter((_, i) => results[i]!.status === "rejected");
    if (pending.length > 0) await new Promise((r) => setTimeout(r, 100));
  }
}

async function snapshot(base: string): Promise<Record<string, number>> {
  const res = await fetch(`${base}/metrics/snapshot`, { signal: AbortSignal.timeout(30_000) });
  return res.status === 200 ? ((await res.json()) as Record<string, number>) : {};
}

const total = AGENTS * TASKS_PER_AGENT;
const t = Date.now();
// The first registrations each write the registry: in batches, as a cluster grows; the failover below
// sends every agent at once.
await subscribeAll(leaderUrl()!, 500);
await waitFor(async () => (await snapshot(leaderUrl()!))["master/tasks_running"] === total, { timeoutMs: 600_000, intervalMs: 500, message: `${total} tasks` });
console.log(`${AGENTS} agents with ${total} tasks registered with the first leader in ${Date.now() - t} ms`);
await waitFor(async () => (await fetch(`http://127.0.0.1:${ports[1]}/master/redirect`, { redirect: "manual" }).catch(() => undefined))?.status === 307, { timeoutMs: 120_000, message: "the second master follows" });

// Failover.
const killedAt = Date.now();
first.kill("SIGKILL");
for (const a of agents) a.req?.destroy();
const newLeader = await new Promise<string>((resolve) => {
  const check = (): void => {
    const url = leaderUrl();
    if (url?.endsWith(`:${ports[1]}`)) resolve(url);
    else setTimeout(check, 5);
  };
  check();
});
const electedAt = Date.now();
firstAnswer = undefined;
// The leader answers 503 until its registry is recovered; agents retry.
await subscribeAll(newLeader);
const subscribedAt = Date.now();
await waitFor(async () => {
  const s = await snapshot(newLeader);
  return s["master/slaves_active"] === AGENTS && s["master/tasks_running"] === total;
}, { timeoutMs: 600_000, intervalMs: 50, message: `${AGENTS} agents and ${total} tasks back` });
const doneAt = Date.now();
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const fetchMs = Object.entries(await snapshot(newLeader)).filter(([k]) => k.startsWith("registrar/state_fetch_ms"));
console.log(`new leader: first SUBSCRIBED ${s((firstAnswer ?? doneAt) - electedAt)} after the election; registry fetch ${JSON.stringify(fetchMs)}`);
console.log(`kill → new leader seen ${s(electedAt - killedAt)}; election → every agent SUBSCRIBED ${s(subscribedAt - electedAt)}; → counted in metrics ${s(doneAt - electedAt)}; total ${s(doneAt - killedAt)}`);
if (process.env["PROFILE"] === "1") {
  second.kill("SIGINT"); // --cpu-prof writes the profile on a clean exit
  await new Promise((r) => second.once("exit", r));
  console.log(`profile of the new leader in ${PROFILE_DIR}`);
}
if (!process.env["NO_RECORD"]) {
  record({
    benchmark: `master failover at scale: ${AGENTS} agents / ${total} tasks re-registered with the new leader`,
    settings: `3-node ZK (tickTime 500), 2 masters --zk_session_timeout ${SESSION}, agents simulated in the bench process (raw agent protocol, all at once), 1 run${process.env["PROFILE"] === "1" ? ", new leader under --cpu-prof" : ""}`,
    caravel: `${s(doneAt - electedAt)} from election to all re-registered (kill → election ${s(electedAt - killedAt)}; total ${s(doneAt - killedAt)})`,
    peer: "Mesos 1.5 ≈4.5 s re-registration at 10k agents/100k tasks (published)",
    ratio: `${((doneAt - electedAt) / 4500).toFixed(2)}× Mesos; goal ≤ 3 s`,
  });
}
detector.close();
await detectorStore.close();
children.forEach((c) => c.kill("SIGKILL"));
await zk.stop();
rmSync(work, { recursive: true, force: true });
process.exit(0);
