/**
 * Universe (Cosmos API) benchmarks (issue 8).
 *  1. /package/search over a generated repository of PACKAGES packages (v5 index file): p99 ≤ 20 ms.
 *  2. /package/describe of one package of that repository: p99 ≤ 10 ms.
 *  3. /package/install of the built-in static-web → its task running and healthy in Marathon: ≤ 5 s.
 * Settings: real processes from the built dist, over HTTP on loopback, one request at a time
 * (ROUNDS requests after WARMUP): caravel-universe (--repositories=[generated index, built-in]);
 * for 3, caravel-master (--allocation_interval=0.2), one caravel-agent (--containerizers=mesos,docker,
 * cpus:4;mem:4096), caravel-marathon. Queries rotate over a name substring, a tag, a wildcard and a
 * miss. Times are end to end at the client (Node's fetch), which on this 2-core machine also pays
 * for the client's own parsing and GC; the server-side p99 from caravel-universe's latency histogram
 * is printed beside it. No Cosmos (Scala/JVM) runs on this machine: the peer column is the floor, a
 * bare node:http process answering the same bytes, timed request by request alternating with Caravel.
 *
 * Run: pnpm -r build && bash scripts/build-images && node --conditions=source --import tsx bench/universe.bench.ts
 *      (PACKAGES, ROUNDS override the sizes; NO_INSTALL=1 skips 3; NO_RECORD=1 only prints)
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binPath, freePort, startProcess, stopAllProcesses, waitFor } from "@caravel/testing";
import { cosmosType } from "@caravel/api";
import { percentile, median, record } from "./lib/record.js";

const PACKAGES = Number(process.env["PACKAGES"] ?? 2000);
const ROUNDS = Number(process.env["ROUNDS"] ?? 500);
const WARMUP = 50;
const dir = mkdtempSync(join(tmpdir(), "caravel-bench-universe-"));

// A repository the size of the public Universe (≈2,000 package releases), with realistic bodies.
const config = { type: "object", properties: { service: { type: "object", properties: { name: { type: "string", default: "x" }, cpus: { type: "number", default: 0.1, minimum: 0.01 } } } } };
const template = Buffer.from('{"id":"/{{service.name}}","cpus":{{service.cpus}},"mem":32,"cmd":"sleep 1000"}').toString("base64");
const tags = ["web", "database", "queue", "cache", "monitoring", "logging", "ci", "storage"];
const packages = Array.from({ length: PACKAGES }, (_, i) => ({
  packagingVersion: "4.0",
  name: `pkg-${String(i).padStart(4, "0")}-${tags[i % tags.length]}`,
  version: `1.${i % 7}.0`,
  releaseVersion: i % 3,
  maintainer: "bench@localhost",
  description: `Generated package number ${i}: a ${tags[i % tags.length]} service with a long enough description to search through, like real Universe entries have.`,
  tags: [tags[i % tags.length]!, tags[(i + 3) % tags.length]!],
  selected: i % 100 === 0,
  framework: false,
  config,
  resource: { images: { "icon-small": "data:image/svg+xml;base64,PHN2Zy8+" } },
  marathon: { v2AppMustacheTemplate: template },
}));
const indexFile = join(dir, "repo-up-to-2.0.json");
writeFileSync(indexFile, JSON.stringify({ packages }));

const [uPort, mPort, aPort, mtPort, fPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
const universe = `http://127.0.0.1:${uPort}`;

async function rpc(path: string, kind: string, body: unknown, version = 1): Promise<{ packages?: unknown[] }> {
  const res = await fetch(universe + path, {
    method: "POST",
    headers: { "content-type": cosmosType("package", `${kind}-request`, 1), accept: cosmosType("package", `${kind}-response`, version) },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { packages?: unknown[] };
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Timed requests stop when the whole body has arrived; parsing it is the client's business. */
async function rpcText(path: string, kind: string, body: unknown, version = 1, base = universe): Promise<string> {
  const res = await fetch(base + path, {
    method: "POST",
    headers: { "content-type": cosmosType("package", `${kind}-request`, 1), accept: cosmosType("package", `${kind}-response`, version) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${text.slice(0, 300)}`);
  return text;
}

/** The server's own view: p99 of its request-handling time (its latency histogram keeps the last 1,000). */
async function serverP99(rpcPath: string): Promise<string> {
  const snap = (await (await fetch(`${universe}/metrics/snapshot`)).json()) as Record<string, number>;
  const v = snap[`latency${rpcPath.replace(/\//g, "_")}/p99`];
  return v === undefined ? "n/a" : `${v.toFixed(2)} ms`;
}

/**
 * The floor: a bare node:http process that answers each request with the very bytes caravel-universe
 * answered (parsing the JSON body to pick them). What it measures is the client, loopback and the
 * scheduler, i.e. what no server can go below on this machine at this load.
 */
const FLOOR_SERVER = `
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
const bodies = new Map(Object.entries(JSON.parse(readFileSync(process.argv[2], "utf8"))).map(([k, v]) => [k, Buffer.from(v, "base64")]));
createServer((req, res) => {
  if (req.method === "GET") return res.end("ok");
  const chunks = [];
  req.on("data", (c) => chunks.push(c)).on("end", () => {
    const b = JSON.parse(Buffer.concat(chunks).toString() || "{}");
    const body = bodies.get(req.url + " " + (b.query ?? b.packageName ?? ""));
    res.writeHead(body ? 200 : 404, { "content-type": req.headers.accept, "content-length": body ? body.length : 0 }).end(body);
  });
}).listen(Number(process.argv[3]), "127.0.0.1");
`;

/** Times caravel and the floor request by request, alternating, so both see the same machine. */
async function timeRounds(fn: (i: number, base: string) => Promise<unknown>, floor: string): Promise<{ caravel: number[]; floor: number[] }> {
  for (let i = 0; i < WARMUP; i++) await Promise.all([fn(i, universe), fn(i, floor)]);
  const out = { caravel: [] as number[], floor: [] as number[] };
  for (let i = 0; i < ROUNDS; i++) {
    for (const [base, list] of [[universe, out.caravel], [floor, out.floor]] as const) {
      const t0 = performance.now();
      await fn(i, base);
      list.push(performance.now() - t0);
    }
  }
  return out;
}

try {
  const marathon = `http://127.0.0.1:${mtPort}`;
  const builtin = JSON.stringify([{ name: "generated", uri: indexFile }, { name: "Caravel", uri: `file://${join(process.cwd(), "universe/repo")}` }]);
  await startProcess({ name: "universe", command: process.execPath, args: [binPath("universe"), `--port=${uPort}`, `--marathon=${marathon}`, `--work_dir=${join(dir, "universe")}`, `--repositories=${builtin}`, "--log_level=warn"], healthUrl: `${universe}/health` });
  const first = await rpc("/package/search", "search", {});
  if ((first.packages?.length ?? 0) < PACKAGES) throw new Error(`expected ${PACKAGES} packages, got ${first.packages?.length}`);

  const queries = ["pkg-01", "database", "*-cache", "nothing-matches", ""];
  const describeName = (i: number) => packages[(i * 37) % PACKAGES]!.name;
  // The floor server gets caravel's own answers, byte for byte.
  const bodies: Record<string, string> = {};
  for (const q of queries) bodies[`/package/search ${q}`] = Buffer.from(await rpcText("/package/search", "search", { query: q })).toString("base64");
  for (let i = 0; i < WARMUP + ROUNDS; i++) bodies[`/package/describe ${describeName(i)}`] ??= Buffer.from(await rpcText("/package/describe", "describe", { packageName: describeName(i) }, 3)).toString("base64");
  writeFileSync(join(dir, "floor-bodies.json"), JSON.stringify(bodies));
  writeFileSync(join(dir, "floor.mjs"), FLOOR_SERVER);
  const floor = `http://127.0.0.1:${fPort}`;
  await startProcess({ name: "floor", command: process.execPath, args: [join(dir, "floor.mjs"), join(dir, "floor-bodies.json"), String(fPort)], healthUrl: `${floor}/health` });

  const search = await timeRounds((i, base) => rpcText("/package/search", "search", { query: queries[i % queries.length] }, 1, base), floor);
  const sp99 = percentile(search.caravel, 0.99);
  const fs99 = percentile(search.floor, 0.99);
  record({ benchmark: "universe: /package/search over a generated repository", settings: `${PACKAGES} packages (v4 index file), ${ROUNDS} sequential requests over loopback HTTP (Node fetch), queries rotate over substring/tag/wildcard/miss/all (all = ${Math.round(Buffer.from(bodies["/package/search "]!, "base64").length / 1024)} KiB)`, caravel: `p99 ${sp99.toFixed(2)} ms, median ${median(search.caravel).toFixed(2)} ms (server-side p99 ${await serverP99("/package/search")})`, peer: `floor (bare node:http answering the same bytes, alternating requests): p99 ${fs99.toFixed(2)} ms, median ${median(search.floor).toFixed(2)} ms`, ratio: `p99 ${(sp99 / fs99).toFixed(2)}× the floor; goal ≤ 20 ms p99: ${sp99 <= 20 ? "met" : "MISSED"}` });

  const describe = await timeRounds((i, base) => rpcText("/package/describe", "describe", { packageName: describeName(i) }, 3, base), floor);
  const dp99 = percentile(describe.caravel, 0.99);
  const fd99 = percentile(describe.floor, 0.99);
  record({ benchmark: "universe: /package/describe", settings: `${PACKAGES} packages, ${ROUNDS} sequential requests (Node fetch), describe-response v3`, caravel: `p99 ${dp99.toFixed(2)} ms, median ${median(describe.caravel).toFixed(2)} ms (server-side p99 ${await serverP99("/package/describe")})`, peer: `floor (bare node:http answering the same bytes, alternating requests): p99 ${fd99.toFixed(2)} ms, median ${median(describe.floor).toFixed(2)} ms`, ratio: `p99 ${(dp99 / fd99).toFixed(2)}× the floor; goal ≤ 10 ms p99: ${dp99 <= 10 ? "met" : "MISSED"}` });

  if (!process.env["NO_INSTALL"]) {
    const master = `http://127.0.0.1:${mPort}`;
    await startProcess({ name: "master", command: process.execPath, args: [binPath("master"), `--port=${mPort}`, `--work_dir=${join(dir, "master")}`, "--allocation_interval=0.2", "--log_level=warn"], healthUrl: `${master}/health` });
    await startProcess({ name: "agent", command: process.execPath, args: [binPath("agent"), `--master=127.0.0.1:${mPort}`, `--port=${aPort}`, `--work_dir=${join(dir, "agent")}`, "--containerizers=mesos,docker", "--resources=cpus:4;mem:4096;disk:10000;ports:[31000-31099]", "--log_level=warn"] });
    await startProcess({ name: "marathon", command: process.execPath, args: [binPath("marathon"), `--http_port=${mtPort}`, `--master=${master}`, `--work_dir=${join(dir, "marathon")}`, "--log_level=warn"], healthUrl: `${marathon}/ping` });
    await waitFor(async () => ((await (await fetch(`${marathon}/v2/info`)).json()) as { frameworkId?: string }).frameworkId, { timeoutMs: 60_000, message: "Marathon subscribed" });
    const runs: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      await rpc("/package/install", "install", { packageName: "static-web" }, 2);
      await waitFor(async () => ((await (await fetch(`${marathon}/v2/apps/static-web`)).json()) as { app?: { tasksHealthy: number } }).app?.tasksHealthy === 1, { timeoutMs: 60_000, intervalMs: 20, message: "static-web healthy" });
      runs.push(performance.now() - t0);
      await rpc("/package/uninstall", "uninstall", { packageName: "static-web" });
    }
    const best = Math.min(...runs);
    record({ benchmark: "universe: install static-web → running and healthy", settings: "built-in static-web (local/static-web:1, docker, host network, HTTP health check every 1 s, delaySeconds 0), master + 1 docker agent + marathon, 3 runs with uninstall between, polled every 20 ms", caravel: `median ${(median(runs) / 1000).toFixed(2)} s, best ${(best / 1000).toFixed(2)} s`, peer: "DC/OS: not runnable here (goal from issue 8)", ratio: `goal ≤ 5 s: ${median(runs) <= 5000 ? "met" : "MISSED"}` });
  }
} finally {
  await stopAllProcesses();
}
