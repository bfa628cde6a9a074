/**
 * VIP throughput with wrk, side by side (issue: kernel plane >= 0.95x direct; userspace plane
 * >= 0.8x HAProxy proxying the same backends; a backend change takes effect <= 100 ms).
 *
 * Settings: 2 Node http backends (separate processes, "ok" bodies) on the host's address;
 * `wrk -t2 -c50 -d${SECONDS}s --latency` keep-alive (direct and kernel: two wrk -t1 -c25 at once); kernel plane = iptables DNAT (statistic random)
 * in chains prefixed CVB, VIP 11.253.0.1:80; userspace plane = caravel-l4lb's proxy in its own
 * process, round-robin, VIP 127.253.0.1:80; HAProxy 2.6 `mode tcp`, roundrobin, 1 process, nbthread 1.
 * Backend change: time from the apply call until the removed backend gets no new connection.
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

const SECONDS = Number(process.env.SECONDS_PER_RUN ?? 5);
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
    console.log(`l4lb-throughput: wrk -t2 -c50 -d${SECONDS}s keep-alive, 2 Node backends on ${ip}; load ${load}`);
    const direct = await wrkBoth(PORTS.map((p) => `http://${ip}:${p}/`));
    console.log(`direct (both backends, 2 wrk x -c25): ${Math.round(direct.rps)} req/s, p99 ${direct.p99}`);
    await kernel.apply([entry("11.253.0.1")]);
    const k = await wrkBoth(["http://11.253.0.1:80/", "http://11.253.0.1:80/"]); // same wrk shape as "direct"
    console.log(`kernel VIP           : ${Math.round(k.rps)} req/s, p99 ${k.p99} -> ${(k.rps / direct.rps).toFixed(2)}x direct (goal >= 0.95x)`);
    // Backend change: remove backend 1 and time until new connections avoid it.
    const t0 = performance.now();
    await kernel.apply([entry("11.253.0.1", [backends[0]!])]);
    const changeMs = performance.now() - t0;
    for (let i = 0; i < 20; i++) if ((await body("http://11.253.0.1:80/")) !== "ok-0") throw new Error("removed backend still got a new connection");
    console.log(`kernel backend change: iptables-restore applied in ${changeMs.toFixed(1)} ms; the next 20 connections all avoided the removed backend (goal <= 100 ms)`);
    await kernel.apply([]);

    await startChild(process.execPath, ["--conditions=source", "--import", "tsx", new URL("./l4lb-proxy-runner.ts", import.meta.url).pathname], { L4LB_TABLE: JSON.stringify([entry("127.253.0.1")]) });
    const u = wrk("http://127.253.0.1:80/");
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
    const h = wrk("http://127.0.0.1:18380/");
    console.log(`userspace VIP        : ${Math.round(u.rps)} req/s, p99 ${u.p99}`);
    console.log(`haproxy mode tcp     : ${Math.round(h.rps)} req/s, p99 ${h.p99} -> userspace ${(u.rps / h.rps).toFixed(2)}x haproxy (goal >= 0.8x)`);
    console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), Node ${process.version}, load ${loadavg()[0]!.toFixed(2)}`);
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
