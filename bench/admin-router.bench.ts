/**
 * Admin router proxy throughput and added latency, side by side with nginx as a reverse proxy to
 * the same backend (issue 7; perf-anchors G5).
 *
 * Settings: the backend is nginx (1 worker) answering every path with a 1,024-byte JSON body. The
 * peer is nginx (WORKERS worker processes, default 2; the router gets as many, ROUTER_WORKERS) with `proxy_pass` to it over a keep-alive
 * upstream pool. Caravel is `caravel-admin-router` (built dist, ROUTER_WORKERS Node processes) with auth ON:
 * every request carries `Authorization: token=<JWT>`, and the router verifies it (cached signature
 * check, revocation check, RBAC decision) and proxies `/marathon/bench` to the same backend.
 * Load: `wrk -t2 -c50 -d${DURATION}s --latency`, keep-alive. Half load: wrk at ~50 % of the router's
 * measured max (per-connection delay script), p99 compared with the backend hit directly at the
 * same rate. Run: pnpm --filter @caravel/admin-router build && node --conditions=source --import tsx bench/admin-router.bench.ts
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir, cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";

const DURATION = Number(process.env["DURATION"] ?? 10);
const WORKERS = Number(process.env["WORKERS"] ?? 2);
const CONNECTIONS = Number(process.env["CONNECTIONS"] ?? 50);
const ROUTER_WORKERS = Number(process.env["ROUTER_WORKERS"] ?? WORKERS);
/** Each side is measured RUNS times, interleaved, and the best run counts (the box is shared). */
const RUNS = Number(process.env["RUNS"] ?? 3);
const ROOT = resolve(import.meta.dirname, "..");
const BACKEND_PORT = 18901;
const NGINX_PORT = 18902;
const ROUTER_PORT = 18903;

for (const bin of ["wrk", "nginx"]) {
  try {
    execFileSync("which", [bin]);
  } catch {
    throw new Error(`${bin} is missing: apt-get install -y --no-install-recommends wrk nginx`);
  }
}
const main = join(ROOT, "apps/admin-router/dist/main.js");
if (!existsSync(main)) throw new Error("build the router first: pnpm --filter @caravel/admin-router build (after its dependencies)");

const body = JSON.stringify({ padding: "x".repeat(1024 - 14) });
if (Buffer.byteLength(body) !== 1024) throw new Error(`body is ${Buffer.byteLength(body)} bytes`);

const children: ChildProcess[] = [];
const dir = await mkdtemp(join(tmpdir(), "caravel-bench-ar-"));

function nginxConf(workers: number, server: string): string {
  return `worker_processes ${workers};\ndaemon off;\npid ${dir}/nginx-${workers}-${server.length}.pid;\nerror_log ${dir}/error.log warn;\nevents { worker_connections 4096; }\nhttp {\n  access_log off;\n  client_body_temp_path ${dir}/cb; proxy_temp_path ${dir}/px; fastcgi_temp_path ${dir}/fc; uwsgi_temp_path ${dir}/uw; scgi_temp_path ${dir}/sc;\n  keepalive_requests 1000000;\n${server}\n}\n`;
}

async function startNginx(name: string, conf: string): Promise<number> {
  const file = join(dir, `${name}.conf`);
  await writeFile(file, conf);
  const child = spawn("nginx", ["-p", dir, "-c", file, "-e", join(dir, "error.log")], { stdio: "ignore" });
  children.push(child);
  await waitHttp(name === "backend" ? BACKEND_PORT : NGINX_PORT, "/bench");
  return child.pid!;
}

async function waitHttp(port: number, path: string, headers: Record<string, string> = {}): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
      await res.arrayBuffer();
      if (res.status < 500) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing answers on port ${port}`);
}

interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  errors: string;
  /** CPU time the measured server processes used per request, in µs (robust to a loaded machine). */
  cpuUsPerReq?: number;
  requests?: number;
}

/** utime + stime of a process and its children-by-pid (nginx workers), in seconds. */
function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // process gone
    }
  }
  return ticks / 100;
}

function withChildren(pid: number): number[] {
  try {
    return [pid, ...execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" }).trim().split("\n").filter(Boolean).map(Number)];
  } catch {
    return [pid];
  }
}

function ms(value: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(value)!;
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "s" ? n * 1000 : n;
}

async function wrk(url: string, options: { token?: string; connections?: number; delayMs?: number; duration?: number; pids?: number[] }): Promise<WrkResult> {
  const cpu0 = options.pids ? cpuSeconds(options.pids) : 0;
  const script = join(dir, `wrk-${Math.random().toString(36).slice(2)}.lua`);
  const lines = [];
  if (options.token) lines.push(`wrk.headers["Authorization"] = "token=${options.token}"`);
  if (options.delayMs) lines.push(`function delay() return ${options.delayMs} end`);
  await writeFile(script, lines.join("\n") + "\n");
  const out = execFileSync("wrk", ["-t2", `-c${options.connections ?? CONNECTIONS}`, `-d${options.duration ?? DURATION}s`, "--latency", "-s", script, url], { encoding: "utf8" });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]);
  const p50 = ms(/\s50%\s+(\S+)/.exec(out)![1]!);
  const p99 = ms(/\s99%\s+(\S+)/.exec(out)![1]!);
  const errors = [/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1], /Socket errors: (.*)/.exec(out)?.[1]].filter(Boolean).join("; ");
  const requests = Number(/(\d+) requests in/.exec(out)![1]);
  const cpuUsPerReq = options.pids ? ((cpuSeconds(options.pids) - cpu0) * 1e6) / requests : undefined;
  return { rps, p50, p99, errors, requests, ...(cpuUsPerReq === undefined ? {} : { cpuUsPerReq: Math.round(cpuUsPerReq) }) };
}

try {
  await startNginx("backend", nginxConf(1, `  server { listen 127.0.0.1:${BACKEND_PORT}; location / { default_type application/json; return 200 '${body}'; } }`));
  const nginxPid = await startNginx("proxy", nginxConf(WORKERS, `  upstream backend { server 127.0.0.1:${BACKEND_PORT}; keepalive 64; }\n  server { listen 127.0.0.1:${NGINX_PORT}; location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; } }`));
  const password = "bench-admin-password";
  const router = spawn(process.execPath, [main, "--port", String(ROUTER_PORT), "--work_dir", join(dir, "router"), "--marathon", `http://127.0.0.1:${BACKEND_PORT}`, "--master", `http://127.0.0.1:${BACKEND_PORT}`, "--admin_password", password, "--log_level", "warn", "--workers", String(ROUTER_WORKERS)], { stdio: ["ignore", "ignore", "inherit"] });
  children.push(router);
  await waitHttp(ROUTER_PORT, "/health");
  const login = await fetch(`http://127.0.0.1:${ROUTER_PORT}/acs/api/v1/auth/login`, { method: "POST", body: JSON.stringify({ uid: "admin", password }) });
  const { token } = (await login.json()) as { token: string };
  const check = await fetch(`http://127.0.0.1:${ROUTER_PORT}/marathon/bench`, { headers: { authorization: `token=${token}` } });
  if (check.status !== 200 || (await check.text()) !== body) throw new Error(`router does not proxy the backend (status ${check.status})`);

  // Warm-up (JIT, keep-alive pools), then the measured runs.
  await wrk(`http://127.0.0.1:${ROUTER_PORT}/marathon/bench`, { token, duration: 3 });
  const best = (a: WrkResult | undefined, b: WrkResult) => (a === undefined || b.rps > a.rps ? b : a);
  let direct: WrkResult | undefined, nginx: WrkResult | undefined, caravel: WrkResult | undefined;
  for (let run = 0; run < RUNS; run++) {
    direct = best(direct, await wrk(`http://127.0.0.1:${BACKEND_PORT}/bench`, {}));
    nginx = best(nginx, await wrk(`http://127.0.0.1:${NGINX_PORT}/bench`, { pids: withChildren(nginxPid) }));
    caravel = best(caravel, await wrk(`http://127.0.0.1:${ROUTER_PORT}/marathon/bench`, { token, pids: withChildren(router.pid!) }));
  }
  if (!direct || !nginx || !caravel) throw new Error("RUNS must be at least 1");
  const unauth = await wrk(`http://127.0.0.1:${ROUTER_PORT}/marathon/bench`, { connections: 10, duration: 3 });

  // Half load: ~50 % of the router's max, open-ish loop through a per-request delay.
  const delayMs = 10;
  const target = caravel.rps / 2;
  const halfConnections = Math.max(2, Math.round((target * delayMs) / 1000));
  const halfDirect = await wrk(`http://127.0.0.1:${BACKEND_PORT}/bench`, { connections: halfConnections, delayMs });
  const halfCaravel = await wrk(`http://127.0.0.1:${ROUTER_PORT}/marathon/bench`, { token, connections: halfConnections, delayMs });

  const ratio = caravel.rps / nginx.rps;
  const added = halfCaravel.p99 - halfDirect.p99;
  console.table({ direct, nginx, caravel, halfDirect, halfCaravel });
  console.log(`unauthenticated requests answered 401 by the router: ${unauth.errors || "none"} (${unauth.rps.toFixed(0)}/s)`);
  console.log(`CPU per proxied request: caravel ${caravel.cpuUsPerReq} µs, nginx ${nginx.cpuUsPerReq} µs`);
  console.log(`caravel/nginx req/s ratio: ${ratio.toFixed(2)} (goal >= 0.6); p99 added at ~${halfCaravel.rps.toFixed(0)} req/s: ${added.toFixed(2)} ms (goal <= 1 ms)`);

  const machine = `${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load ${(await readFile("/proc/loadavg", "utf8")).split(" ")[0]}`;
  const file = join(ROOT, "BENCHMARKS.md");
  if (!existsSync(file)) await writeFile(file, "# Benchmarks\n\n| date | benchmark | settings | Caravel | peer | ratio / goal | machine |\n|---|---|---|---|---|---|---|\n");
  const date = new Date().toISOString().slice(0, 16).replace("T", " ");
  await appendFile(
    file,
    `| ${date} | admin-router proxied GET, 1 KB, auth on | wrk -t2 -c${CONNECTIONS} ${DURATION}s keep-alive, best of ${RUNS} interleaved runs; router ${ROUTER_WORKERS} Node process(es); nginx ${WORKERS} workers; backend nginx 1 worker | ${caravel.rps.toFixed(0)} req/s, p99 ${caravel.p99.toFixed(2)} ms | nginx proxy ${nginx.rps.toFixed(0)} req/s, p99 ${nginx.p99.toFixed(2)} ms (direct ${direct.rps.toFixed(0)}) | ${ratio.toFixed(2)}× nginx (goal ≥ 0.6×); CPU/request ${caravel.cpuUsPerReq} µs vs nginx ${nginx.cpuUsPerReq} µs | ${machine} |\n` +
      `| ${date} | admin-router added p99 at half load, auth on | wrk -t2 -c${halfConnections}, ${delayMs} ms think time, ${DURATION}s | p99 ${halfCaravel.p99.toFixed(2)} ms at ${halfCaravel.rps.toFixed(0)} req/s | direct p99 ${halfDirect.p99.toFixed(2)} ms at ${halfDirect.rps.toFixed(0)} req/s | +${added.toFixed(2)} ms (goal ≤ 1 ms) | ${machine} |\n`,
  );
} finally {
  for (const child of children) child.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 500));
  await rm(dir, { recursive: true, force: true });
}
