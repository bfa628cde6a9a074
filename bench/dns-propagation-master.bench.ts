/**
 * Propagation with the real caravel-master: a task's TASK_RUNNING (the agent's status timestamp)
 * → its name resolves at caravel-dns, over N_TASKS tasks launched in batches of BATCH. Runs a local
 * cluster through caravel-launch (simulated agent) and caravel-dns as its built binary; a prober
 * process (bench/dns-prober.ts) asks for each unresolved name every POLL_MS, from before the launch.
 * Agent, master, DNS and prober share this host's clock.
 * Peer: Mesos-DNS polls /master/state every 60 s (DC/OS: 30 s), so its propagation averages 15-30 s.
 *
 * Run: pnpm -r build && node --conditions=source --import tsx bench/dns-propagation-master.bench.ts
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createMasterClient } from "@caravel/api";
import { builders, TestFramework } from "@caravel/testing";
import { record } from "./lib/record.js";

const N = Number(process.env.N_TASKS ?? 100);
const BATCH = Number(process.env.BATCH ?? 10);
const PORT = 18353;
// Each unresolved name is asked every POLL_MS: asking every millisecond for 10 names loaded the
// DNS process (and this one) enough to delay what it measures.
const POLL_MS = Number(process.env.POLL_MS ?? 2);
const root = new URL("..", import.meta.url).pathname;

async function main(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), "caravel-bench-prop-"));
  const launcher = join(root, "packages/launcher/dist/main.js");
  execFileSync(process.execPath, [launcher, "up", "--detach", "--home", home, "--random_ports", "--agents", "1", "--public_agents", "0", "--containerizers", "sim"], { stdio: "ignore", timeout: 300_000 });
  const components = JSON.parse(readFileSync(join(home, "local", "launcher.json"), "utf8")) as { components: { name: string; url: string }[] };
  const masterUrl = components.components.find((c) => c.name === "master")!.url;
  const dns = spawn(process.execPath, [join(root, "packages/dns/dist/main.js"), "--port", String(PORT), "--http_port", "18354", "--master", masterUrl, "--authoritative_only", "--log_level", "warn"], { stdio: "inherit" });
  let fw: TestFramework | undefined;
  let stopWatcher = () => undefined as void;
  let stopProber = () => undefined as unknown;
  try {
    for (let i = 0; i < 400 && !(await fetch("http://127.0.0.1:18354/health").then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 50));
    fw = await TestFramework.subscribe(masterUrl, { frameworkInfo: { name: "marathon" } });
    // A second operator subscriber splits the time: agent → master's TASK_UPDATED on the stream, then → DNS.
    const streamAt = new Map<string, number>();
    const watcher = new AbortController();
    void (async () => {
      for await (const event of createMasterClient(masterUrl).subscribe(watcher.signal)) {
        const u = (event as { task_updated?: { state?: string; status?: { task_id?: { value?: string } } } }).task_updated;
        const id = u?.status?.task_id?.value;
        if (u?.state === "TASK_RUNNING" && id && !streamAt.has(id)) streamAt.set(id, Date.now());
      }
    })().catch(() => undefined);
    stopWatcher = () => watcher.abort();
    // The prober runs in its own process (bench/dns-prober.ts): this one is busy with the framework.
    const prober = spawn(process.execPath, ["--conditions=source", "--import", "tsx", join(root, "bench/dns-prober.ts")], { env: { ...process.env, DNS_PORT: String(PORT), POLL_MS: String(POLL_MS) }, stdio: ["pipe", "pipe", "inherit"] });
    stopProber = () => prober.stdin!.end();
    const resolvedAt = new Map<string, number>();
    let buffered = "";
    prober.stdout!.on("data", (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        const [name, at] = line.split(" ");
        if (name && at) resolvedAt.set(name, Number(at));
        else if (name === "ready") proberReady();
      }
    });
    let proberReady = () => undefined as void;
    await new Promise<void>((resolve) => (proberReady = resolve));
    const results: number[] = [];
    const toStream: number[] = [];
    const toDns: number[] = [];
    for (let b = 0; b < N / BATCH; b++) {
      const [offer] = await fw.waitForOffers(1, { timeoutMs: 60_000 });
      const ids = Array.from({ length: BATCH }, (_, i) => `prop${b * BATCH + i}`);
      const tasks = ids.map((id) => builders.taskFor(offer!, { id, resources: "cpus:0.01;mem:1" }));
      const names = ids.map((id) => `${id}.marathon.mesos`);
      // Ask from before the launch: the ACCEPT call's answer can come back after the tasks already run.
      prober.stdin!.write(names.join("\n") + "\n");
      await fw.launch(offer!, tasks, 0);
      const deadline = Date.now() + 30_000;
      while (names.some((n) => !resolvedAt.has(n)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const id of ids) {
        const running = await fw.waitForTaskState(id, "TASK_RUNNING", { timeoutMs: 30_000 });
        const at = resolvedAt.get(`${id}.marathon.mesos`);
        if (at === undefined || running.timestamp === undefined) throw new Error(`${id} never resolved`);
        results.push(at - running.timestamp * 1000);
        const seen = streamAt.get(id);
        if (seen !== undefined) {
          toStream.push(seen - running.timestamp * 1000);
          toDns.push(at - seen);
        }
      }
    }
    results.sort((a, b) => a - b);
    const q = (p: number) => results[Math.min(results.length - 1, Math.floor(p * results.length))]!.toFixed(1);
    const pq = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]?.toFixed(1);
    const split = `agent → operator stream p50 ${pq(toStream, 0.5)} / p99 ${pq(toStream, 0.99)} ms; stream → DNS answer p50 ${pq(toDns, 0.5)} / p99 ${pq(toDns, 0.99)} ms`;
    const snap = (await (await fetch("http://127.0.0.1:18354/metrics/snapshot")).json()) as Record<string, number>;
    const lag = `at caravel-dns: TASK_RUNNING applied p50 ${snap["dns/running_lag_ms/p50"]?.toFixed(1)} / p99 ${snap["dns/running_lag_ms/p99"]?.toFixed(1)} ms after the agent's timestamp, record update p99 ${snap["dns/regenerate_ms/p99"]?.toFixed(2)} ms`;
    console.log(split);
    console.log(lag);
    const load = loadavg()[0]!.toFixed(2);
    console.log(`dns-propagation-master: ${N} tasks in batches of ${BATCH}, real caravel-master + simulated agent via caravel-launch; load ${load}`);
    console.log(`agent TASK_RUNNING -> resolvable: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${results.at(-1)!.toFixed(1)} ms (goal p99 <= 100 ms; Mesos-DNS: 30-60 s poll)`);
    console.log(`machine: ${cpus().length} cores, Node ${process.version}, load ${load}`);
    record({
      benchmark: "DNS propagation, real caravel-master (bench/dns-propagation-master.bench.ts)",
      settings: `${N} tasks in batches of ${BATCH} via caravel-launch (sim agent); agent RUNNING timestamp → A answer; ${split}; ${lag}`,
      caravel: `p50 ${q(0.5)} ms, p99 ${q(0.99)} ms`,
      peer: "Mesos-DNS: 30–60 s poll",
      ratio: Number(q(0.99)) <= 100 ? "p99 goal ≤ 100 ms met" : "p99 goal ≤ 100 ms not met at this load",
    });
  } finally {
    stopWatcher();
    await fw?.teardown().catch(() => undefined);
    stopProber();
    dns.kill("SIGTERM");
    execFileSync(process.execPath, [launcher, "down", "--home", home], { stdio: "ignore", timeout: 120_000 });
    rmSync(home, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
