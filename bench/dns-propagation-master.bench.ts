/**
 * Propagation with the real caravel-master: a task's TASK_RUNNING (the agent's status timestamp)
 * → its name resolves at caravel-dns, over N_TASKS tasks launched in batches of BATCH. Runs a local
 * cluster through caravel-launch (simulated agent) and caravel-dns as its built binary; a UDP client
 * polls each unresolved name every millisecond. Agent, master and DNS share this host's clock.
 * Peer: Mesos-DNS polls /master/state every 60 s (DC/OS: 30 s), so its propagation averages 15-30 s.
 *
 * Run: pnpm -r build && node --conditions=source --import tsx bench/dns-propagation-master.bench.ts
 */
import { execFileSync, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { builders, TestFramework } from "@caravel/testing";

const dnsPacket = createRequire(new URL("../packages/dns/package.json", import.meta.url))("dns-packet") as typeof import("dns-packet");
const N = Number(process.env.N_TASKS ?? 100);
const BATCH = Number(process.env.BATCH ?? 10);
const PORT = 18353;
const root = new URL("..", import.meta.url).pathname;

async function main(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), "caravel-bench-prop-"));
  const launcher = join(root, "packages/launcher/dist/main.js");
  execFileSync(process.execPath, [launcher, "up", "--detach", "--home", home, "--random_ports", "--agents", "1", "--public_agents", "0", "--containerizers", "sim"], { stdio: "ignore", timeout: 300_000 });
  const components = JSON.parse(readFileSync(join(home, "local", "launcher.json"), "utf8")) as { components: { name: string; url: string }[] };
  const masterUrl = components.components.find((c) => c.name === "master")!.url;
  const dns = spawn(process.execPath, [join(root, "packages/dns/dist/main.js"), "--port", String(PORT), "--http_port", "18354", "--master", masterUrl, "--authoritative_only", "--log_level", "warn"], { stdio: "inherit" });
  const socket = createSocket("udp4");
  let fw: TestFramework | undefined;
  try {
    for (let i = 0; i < 400 && !(await fetch("http://127.0.0.1:18354/health").then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 50));
    fw = await TestFramework.subscribe(masterUrl, { frameworkInfo: { name: "marathon" } });
    const resolvedAt = new Map<string, number>();
    socket.on("message", (msg) => {
      const p = dnsPacket.decode(msg);
      const name = p.questions?.[0]?.name;
      if (name && (p.answers ?? []).length && !resolvedAt.has(name)) resolvedAt.set(name, Date.now());
    });
    const results: number[] = [];
    for (let b = 0; b < N / BATCH; b++) {
      const [offer] = await fw.waitForOffers(1, { timeoutMs: 60_000 });
      const ids = Array.from({ length: BATCH }, (_, i) => `prop${b * BATCH + i}`);
      const tasks = ids.map((id) => builders.taskFor(offer!, { id, resources: "cpus:0.01;mem:1" }));
      await fw.launch(offer!, tasks, 0);
      const names = ids.map((id) => `${id}.marathon.mesos`);
      const deadline = Date.now() + 30_000;
      while (names.some((n) => !resolvedAt.has(n)) && Date.now() < deadline) {
        for (const n of names) if (!resolvedAt.has(n)) socket.send(dnsPacket.encode({ type: "query", id: 1, questions: [{ type: "A", name: n }] }), PORT, "127.0.0.1");
        await new Promise((r) => setTimeout(r, 1));
      }
      for (const id of ids) {
        const running = await fw.waitForTaskState(id, "TASK_RUNNING", { timeoutMs: 30_000 });
        const at = resolvedAt.get(`${id}.marathon.mesos`);
        if (at === undefined || running.timestamp === undefined) throw new Error(`${id} never resolved`);
        results.push(at - running.timestamp * 1000);
      }
    }
    results.sort((a, b) => a - b);
    const q = (p: number) => results[Math.min(results.length - 1, Math.floor(p * results.length))]!.toFixed(1);
    const load = loadavg()[0]!.toFixed(2);
    console.log(`dns-propagation-master: ${N} tasks in batches of ${BATCH}, real caravel-master + simulated agent via caravel-launch; load ${load}`);
    console.log(`agent TASK_RUNNING -> resolvable: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${results.at(-1)!.toFixed(1)} ms (goal p99 <= 100 ms; Mesos-DNS: 30-60 s poll)`);
    console.log(`machine: ${cpus().length} cores, Node ${process.version}, load ${load}`);
  } finally {
    await fw?.teardown().catch(() => undefined);
    socket.close();
    dns.kill("SIGTERM");
    execFileSync(process.execPath, [launcher, "down", "--home", home], { stdio: "ignore", timeout: 120_000 });
    rmSync(home, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
