/**
 * DNS queries per second: caravel-dns against dnsmasq serving the same names, side by side, with
 * dnsperf (env-setup-notes.md §7). Then p99 latency at half of caravel-dns's maximum rate (dnsperf
 * -Q with -v, latencies read per query).
 *
 * Settings: N_TASKS Marathon tasks (names task-<i>-web.marathon.mesos, one A record each), a query
 * file of 20,000 random A lookups of those names; `dnsperf -l SECONDS -c 2 -T 1 -q 200` on
 * 127.0.0.1 (UDP). caravel-dns runs as its built binary (one Node process), fed by a stand-in master
 * serving /master/state and the SUBSCRIBE stream; dnsmasq 2.90 reads a hosts file with the same names.
 *
 * Run: pnpm --filter @caravel/api --filter @caravel/runtime --filter @caravel/dns build &&
 *      node --conditions=source --import tsx bench/dns-qps.bench.ts
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { legacyState, type FixtureTask } from "../packages/dns/src/records/fixture.js";
import { startFakeMaster } from "../packages/dns/src/testing/fake-master.js";
import { record } from "./lib/record.js";

const N_TASKS = Number(process.env.N_TASKS ?? 1000);
const SECONDS = Number(process.env.SECONDS_PER_RUN ?? 8);
const CARAVEL_PORT = 18153;
const DNSMASQ_PORT = 18154;
const WORKERS = Number(process.env.WORKERS ?? 2);

const need = (bin: string, pkg: string) => {
  try {
    execFileSync("which", [bin], { stdio: "ignore" });
  } catch {
    throw new Error(`${bin} is missing: apt-get install -y ${pkg}`);
  }
};

interface PerfResult {
  qps: number;
  avgMs: number;
  lost: number;
  sent: number;
  p99Ms?: number;
}

function dnsperf(port: number, file: string, extra: string[] = []): PerfResult {
  const verbose = extra.includes("-v");
  const out = execFileSync("dnsperf", ["-s", "127.0.0.1", "-p", String(port), "-d", file, "-l", String(SECONDS), "-c", "2", "-T", "1", "-q", "200", ...extra], {
    encoding: "utf8",
    maxBuffer: 512 * 1024 * 1024,
  });
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
  const result: PerfResult = {
    qps: num(/Queries per second:\s+([\d.]+)/),
    avgMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
    lost: num(/Queries lost:\s+(\d+)/),
    sent: num(/Queries sent:\s+(\d+)/),
  };
  if (verbose) {
    const latencies = [...out.matchAll(/^> \w+ .* ([\d.]+)$/gm)].map((m) => Number(m[1]) * 1000).sort((a, b) => a - b);
    result.p99Ms = latencies[Math.floor(latencies.length * 0.99)] ?? NaN;
  }
  return result;
}

async function waitHealthy(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} never became healthy`);
}

async function main(): Promise<void> {
  need("dnsperf", "dnsperf");
  need("dnsmasq", "dnsmasq-base");
  const binary = new URL("../packages/dns/dist/main.js", import.meta.url).pathname;
  if (!existsSync(binary)) throw new Error("build caravel-dns first: pnpm --filter @caravel/api --filter @caravel/runtime --filter @caravel/dns build");
  const dir = mkdtempSync(join(tmpdir(), "caravel-bench-dns-"));
  chmodSync(dir, 0o755); // dnsmasq drops to nobody and must read the hosts file
  const tasks: FixtureTask[] = Array.from({ length: N_TASKS }, (_, i) => ({ id: `web_task-${i}.${i}`, name: `task-${i}.web`, ip: `10.${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}` }));
  const master = await startFakeMaster(legacyState(tasks, { otherTasks: [] }));
  writeFileSync(join(dir, "hosts"), tasks.map((t) => `${t.ip} ${t.name.replace(/\./g, "-")}.marathon.mesos`).join("\n") + "\n");
  const queries = Array.from({ length: 20_000 }, () => `task-${Math.floor(Math.random() * N_TASKS)}-web.marathon.mesos A`);
  writeFileSync(join(dir, "queries.txt"), queries.join("\n") + "\n");
  const children: ChildProcess[] = [];
  try {
    const caravel = spawn(process.execPath, [binary, "--port", String(CARAVEL_PORT), "--http_port", "18155", "--master", master.url, "--authoritative_only", "--workers", String(WORKERS), "--log_level", "warn"], { stdio: "inherit" });
    children.push(caravel);
    const dnsmasq = spawn("dnsmasq", ["--keep-in-foreground", "--no-resolv", "--no-hosts", `--addn-hosts=${join(dir, "hosts")}`, "--listen-address=127.0.0.1", `--port=${DNSMASQ_PORT}`, "--bind-interfaces", "--cache-size=1000", "--local=/mesos/", `--pid-file=${join(dir, "dnsmasq.pid")}`, `--log-facility=${join(dir, "dnsmasq.log")}`], { stdio: "inherit" });
    children.push(dnsmasq);
    await waitHealthy("http://127.0.0.1:18155/health");
    // Both must answer the same name before measuring.
    const probe = queries[0]!.split(" ")[0]!;
    for (const port of [CARAVEL_PORT, DNSMASQ_PORT]) {
      let answer = "";
      for (let i = 0; i < 50 && !answer; i++) {
        answer = execFileSync("dig", ["@127.0.0.1", "-p", String(port), probe, "+short", "+time=1", "+tries=1"], { encoding: "utf8" }).trim();
        if (!answer || answer.startsWith(";")) {
          answer = "";
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      if (!answer) throw new Error(`server on ${port} does not answer ${probe}`);
    }
    const load = loadavg()[0]!.toFixed(2);
    console.log(`dns-qps: caravel-dns --workers ${WORKERS}, ${N_TASKS} tasks, 20k-line query file, dnsperf -l ${SECONDS} -c 2 -T 1 -q 200; load ${load}`);
    const c = dnsperf(CARAVEL_PORT, join(dir, "queries.txt"));
    console.log(`caravel-dns : ${Math.round(c.qps)} qps, avg ${c.avgMs.toFixed(2)} ms, lost ${c.lost}/${c.sent}`);
    const d = dnsperf(DNSMASQ_PORT, join(dir, "queries.txt"));
    console.log(`dnsmasq     : ${Math.round(d.qps)} qps, avg ${d.avgMs.toFixed(2)} ms, lost ${d.lost}/${d.sent}`);
    const half = Math.round(c.qps / 2);
    const h = dnsperf(CARAVEL_PORT, join(dir, "queries.txt"), ["-Q", String(half), "-v"]);
    const hd = dnsperf(DNSMASQ_PORT, join(dir, "queries.txt"), ["-Q", String(half), "-v"]);
    console.log(`at ${half} qps: caravel-dns p99 ${h.p99Ms?.toFixed(2)} ms (avg ${h.avgMs.toFixed(2)}), dnsmasq p99 ${hd.p99Ms?.toFixed(2)} ms (avg ${hd.avgMs.toFixed(2)})`);
    console.log(`ratio: ${(c.qps / d.qps).toFixed(2)}x dnsmasq; goal >= 33.7k qps (${c.qps >= 33_700 ? "met" : "NOT met"}), stretch >= 0.5x dnsmasq (${c.qps >= d.qps / 2 ? "met" : "not met"})`);
    console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load ${load}`);
    record({
      benchmark: "DNS queries/s (bench/dns-qps.bench.ts)",
      settings: `${N_TASKS} tasks, 20k random A lookups, dnsperf -l ${SECONDS} -c 2 -T 1 -q 200, UDP 127.0.0.1; caravel-dns --workers ${WORKERS} (node:cluster)`,
      caravel: `${Math.round(c.qps).toLocaleString("en")} qps, avg ${c.avgMs.toFixed(2)} ms, lost ${c.lost}`,
      peer: `dnsmasq: ${Math.round(d.qps).toLocaleString("en")} qps, avg ${d.avgMs.toFixed(2)} ms`,
      ratio: `${(c.qps / d.qps).toFixed(2)}× dnsmasq; 33.7k goal ${c.qps >= 33_700 ? "met" : "not met at this load"}`,
    });
    record({
      benchmark: "DNS p99 at half max rate",
      settings: `dnsperf -Q ${half} -v, same names`,
      caravel: `p99 ${h.p99Ms?.toFixed(1)} ms, avg ${h.avgMs.toFixed(2)} ms`,
      peer: `dnsmasq p99 ${hd.p99Ms?.toFixed(1)} ms, avg ${hd.avgMs.toFixed(2)} ms`,
      ratio: "—",
    });
  } finally {
    for (const child of children) child.kill("SIGTERM");
    await master.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
