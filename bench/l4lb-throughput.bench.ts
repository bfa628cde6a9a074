/**
 * VIP throughput with wrk, side by side (issue: kernel plane >= 0.95x direct; userspace plane
 * >= 0.8x HAProxy proxying the same backends; a backend change takes effect <= 100 ms).
 *
 * Settings: 2 Node http backends (separate processes, "ok" bodies) on the host's address;
 * `wrk -t2 -c50 -d${SECONDS}s --latency` keep-alive (direct and kernel: two wrk -t1 -c25 at once); kernel plane = iptables DNAT (statistic random)
 * in chains prefixed CVB, VIP 11.253.0.1:80; userspace plane = caravel-l4lb's proxy in its own
 * process, round-robin, VIP 127.253.0.1:80; HAProxy 2.6 `mode tcp`, roundrobin, 1 process, nbthread 1.
 * Backend change: time from the apply call until the removed backend gets no new connection.
 * The machine is shared and noisy: every pair (direct/kernel, userspace/HAProxy) runs REPS times
 * interleaved, and the ratio is that of the medians (each run's figure is printed too).
 *
 * Run (root): node --conditions=source --import tsx bench/l4lb-throughput.bench.ts
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { cpus, loadavg, networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import type { VipEntry } from "@caravel/api";
import { createKernelPlane, kernelPlaneAvailable } from "../packages/l4lb/src/plane/kernel.js";
import { createUserspacePlane } from "../packages/l4lb/src/plane/userspace.js";
import { median, record } from "./lib/record.js";

const SECONDS = Number(process.env.SECONDS_PER_RUN ?? 5);
const REPS = Number(process.env.REPS ?? 4);
const PORTS = [18301, 18302];
const children: ChildProcess[] = [];

const hostIp = (): string => {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === "IPv4" && !a.internal && !a.address.startsWith("172.17.")) return a.address;
  throw new Error("no non-loopback IPv4 address");
};

function wrk(url: string): { rps: number; p99: string } {
  const out = execFileSync("wrk", ["-t2", "-c50", `-d${SECONDS}s`, "--latency", url], { encoding: "utf8" });
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN), p99: /^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? "?" };
}

/** Two wrk runs at once, one per backend (-t1 -c25 each): "direct to the backends". */
function wrkBoth(urls: string[]): Promise<{ rps: number; p99: string }> {
  return Promise.all(
    urls.map(
      (url) =>
        new Promise<{ rps: number; p99: string }>((resolve) => {
          const c = spawn("wrk", ["-t1", "-c25", `-d${SECONDS}s`, "--latency", url]);
          let out = "";
          c.stdout.on("data", (d: Buffer) => (out += d.toString()));
          c.on("close", () => resolve({ rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN), p99: /^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? "?" }));
        }),
    ),
  ).then((rs) => ({ rps: rs.reduce((a, r) => a + r.rps, 0), p99: rs.map((r) => r.p99).join("/") }));
}

const startChild = (cmd: string, args: string[], env: Record<string, string> = {}): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
    children.push(child);
    child.on("error", reject);
    child.stdout!.on("data", (d: Buffer) => d.toString().includes("ready") && resolve(child));
  });

function body(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let b = "";
      res.on("data", (d: Buffer) => (b += d.toString()));
      res.on("end", () => resolve(b));
    }).on("error", reject);
  });
}

async function main(): Promise<void> {
  for (const [bin, pkg] of [["wrk", "wrk"], ["haproxy", "haproxy"]]) {
    try {
      execFileSync("which", [bin!], { stdio: "ignore" });
    } catch {
      throw new Error(`${bin} is missing: apt-get install -y ${pkg}`);
    }
  }
  if (!(await kernelPlaneAvailable())) throw new Error("the kernel plane needs root and iptables: run as root, apt-get install -y iptables");
  const ip = hostIp();
  for (const [i, port] of PORTS.entries()) {
    await startChild(process.execPath, ["-e", `require("http").createServer((q,s)=>s.end("ok-${i}")).listen(${port}, "${ip}", () => console.log("ready"))`]);
  }
  const backends = PORTS.map((port, i) => ({ ip, port, weight: 1 as const, taskId: `b${i}` }));
  const entry = (vip: string, bs = backends): VipEntry => ({ key: `bench.marathon.l4lb.thisdcos.directory:80`, protocol: "tcp", fqdn: "bench.marathon.l4lb.thisdcos.directory", ip: vip, port: 80, backends: bs });
  const dir = mkdtempSync(join(tmpdir(), "caravel-bench-l4lb-"));
  const kernel = await createKernelPlane({ prefix: "CVB" });
  try {
    const load = loadavg()[0]!.toFixed(2);
    console.log(`l4lb-throughput: wrk -d${SECONDS}s keep-alive, 2 Node backends on ${ip}, ${REPS} interleaved repetitions; load ${load}`);
    await kernel.apply([entry("11.253.0.1")]);
    const directs: number[] = [];
    const kernels: number[] = [];
    const kP99: string[] = [];
    for (let r = 0; r < REPS; r++) {
      // Alternate which goes first: the second run of a pair meets warmer backends.
      const runDirect = () => wrkBoth(PORTS.map((p) => `http://${ip}:${p}/`));
      const runKernel = () => wrkBoth(["http://11.253.0.1:80/", "http://11.253.0.1:80/"]); // same wrk shape as "direct"
      const [direct, k] = r % 2 === 0 ? [await runDirect(), await runKernel()] : await (async () => {
        const kk = await runKernel();
        return [await runDirect(), kk];
      })();
      directs.push(direct.rps);
      kernels.push(k.rps);
      kP99.push(k.p99);
      console.log(`  #${r + 1} direct ${Math.round(direct.rps)} req/s (p99 ${direct.p99}), kernel VIP ${Math.round(k.rps)} req/s (p99 ${k.p99}) -> ${(k.rps / direct.rps).toFixed(2)}x`);
    }
    const kRatio = median(kernels) / median(directs);
    console.log(`kernel VIP median ${Math.round(median(kernels))} req/s vs direct ${Math.round(median(directs))} -> ${kRatio.toFixed(2)}x direct (goal >= 0.95x)`);
    // Backend change: remove backend 1 and time until new connections avoid it.
    const kChanges: number[] = [];
    for (let r = 0; r < REPS; r++) {
      await kernel.apply([entry("11.253.0.1")]);
      const t0 = performance.now();
      await kernel.apply([entry("11.253.0.1", [backends[0]!])]);
      kChanges.push(performance.now() - t0);
      for (let i = 0; i < 20; i++) if ((await body("http://11.253.0.1:80/")) !== "ok-0") throw new Error("removed backend still got a new connection");
    }
    console.log(`kernel backend change (apply returned; the next 20 connections all avoided the removed backend): ${kChanges.map((x) => x.toFixed(1)).join(", ")} ms`);
    await kernel.apply([]);

    // Userspace backend change, in this process: from apply() until 20 new connections avoid the removed backend.
    const inProcess = createUserspacePlane({ drainMs: 0 });
    const uChanges: number[] = [];
    try {
      for (let r = 0; r < REPS; r++) {
        await inProcess.apply([entry("127.253.0.2")]);
        const t0 = performance.now();
        await inProcess.apply([entry("127.253.0.2", [backends[0]!])]);
        uChanges.push(performance.now() - t0);
        for (let i = 0; i < 20; i++) if ((await body("http://127.253.0.2:80/")) !== "ok-0") throw new Error("removed backend still got a new connection (userspace)");
      }
    } finally {
      await inProcess.close();
    }
    console.log(`userspace backend change (apply returned; the next 20 connections avoided it): ${uChanges.map((x) => x.toFixed(2)).join(", ")} ms`);

    await startChild(process.execPath, ["--conditions=source", "--import", "tsx", new URL("./l4lb-proxy-runner.ts", import.meta.url).pathname], { L4LB_TABLE: JSON.stringify([entry("127.253.0.1")]) });
    writeFileSync(
      join(dir, "haproxy.cfg"),
      ["global", "  nbthread 1", "  maxconn 4096", "defaults", "  mode tcp", "  timeout connect 5s", "  timeout client 60s", "  timeout server 60s", "frontend f", "  bind 127.0.0.1:18380", "  default_backend b", "backend b", "  balance roundrobin", ...PORTS.map((p, i) => `  server s${i} ${ip}:${p}`), ""].join("\n"),
    );
    const haproxy = spawn("haproxy", ["-f", join(dir, "haproxy.cfg"), "-db"], { stdio: "inherit" });
    children.push(haproxy);
    for (let i = 0; i < 100; i++) {
      if (await body("http://127.0.0.1:18380/").then(() => true, () => false)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const users: number[] = [];
    const haps: number[] = [];
    for (let r = 0; r < REPS; r++) {
      const [u, h] = r % 2 === 0 ? [wrk("http://127.253.0.1:80/"), wrk("http://127.0.0.1:18380/")] : (() => {
        const hh = wrk("http://127.0.0.1:18380/");
        return [wrk("http://127.253.0.1:80/"), hh];
      })();
      users.push(u.rps);
      haps.push(h.rps);
      console.log(`  #${r + 1} userspace ${Math.round(u.rps)} req/s (p99 ${u.p99}), haproxy ${Math.round(h.rps)} req/s (p99 ${h.p99}) -> ${(u.rps / h.rps).toFixed(2)}x`);
    }
    const uRatio = median(users) / median(haps);
    console.log(`userspace VIP median ${Math.round(median(users))} req/s vs haproxy ${Math.round(median(haps))} -> ${uRatio.toFixed(2)}x haproxy (goal >= 0.8x)`);
    console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), Node ${process.version}, load ${loadavg()[0]!.toFixed(2)}`);
    const runs = (xs: number[]) => xs.map((x) => Math.round(x).toLocaleString("en")).join(" / ");
    record({
      benchmark: "VIP throughput, kernel plane (bench/l4lb-throughput.bench.ts)",
      settings: `2 Node backends, iptables DNAT statistic random; two wrk -t1 -c25 ${SECONDS} s keep-alive for direct and VIP; ${REPS} interleaved runs, ratio of medians`,
      caravel: `median ${Math.round(median(kernels)).toLocaleString("en")} req/s (runs ${runs(kernels)}), p99 ${kP99.join(", ")}`,
      peer: `direct to backends median ${Math.round(median(directs)).toLocaleString("en")} req/s (runs ${runs(directs)})`,
      ratio: `${kRatio.toFixed(2)}× direct (goal ≥ 0.95× ${kRatio >= 0.95 ? "met" : "not met"})`,
    });
    record({
      benchmark: "VIP throughput, userspace plane",
      settings: `caravel-l4lb proxy in its own process, round-robin, TCP_NODELAY; wrk -t2 -c50 ${SECONDS} s keep-alive; ${REPS} interleaved runs, ratio of medians`,
      caravel: `median ${Math.round(median(users)).toLocaleString("en")} req/s (runs ${runs(users)})`,
      peer: `HAProxy mode tcp roundrobin nbthread 1: median ${Math.round(median(haps)).toLocaleString("en")} req/s (runs ${runs(haps)})`,
      ratio: `${uRatio.toFixed(2)}× HAProxy (goal ≥ 0.8× ${uRatio >= 0.8 ? "met" : "not met"})`,
    });
    record({
      benchmark: "VIP backend change, both planes",
      settings: "remove 1 of 2 backends; time until apply() returned, after which 20 new connections in a row all avoided it; kernel: iptables-restore --noflush of own chains; userspace: in-process pool swap",
      caravel: `kernel ${kChanges.map((x) => x.toFixed(1)).join(", ")} ms; userspace ${uChanges.map((x) => x.toFixed(2)).join(", ")} ms`,
      peer: "Minuteman ≈ 11 s",
      ratio: `goal ≤ 100 ms ${Math.max(...kChanges, ...uChanges) <= 100 ? "met in every run" : "not met in every run"}`,
    });
  } finally {
    await kernel.close();
    for (const c of children) c.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  for (const c of children) c.kill("SIGTERM");
  process.exit(1);
});
