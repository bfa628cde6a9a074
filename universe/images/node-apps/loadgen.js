// load-generator: requests TARGET at RATE per second with at most CONCURRENCY in flight; /stats shows results.
const http = require("node:http");
const port = Number(process.env.PORT0 || process.env.PORT || 8080);
const target = process.env.TARGET || "http://127.0.0.1/";
const rate = Math.max(1, Number(process.env.RATE || 20));
const concurrency = Math.max(1, Number(process.env.CONCURRENCY || 4));
const stats = { target, rate, concurrency, sent: 0, ok: 0, errors: 0, latenciesMs: [] };
let inFlight = 0;
function fire() {
  if (inFlight >= concurrency) return;
  inFlight++;
  stats.sent++;
  const started = process.hrtime.bigint();
  const done = (ok) => {
    inFlight--;
    if (ok) stats.ok++;
    else stats.errors++;
    stats.latenciesMs.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (stats.latenciesMs.length > 10000) stats.latenciesMs.splice(0, 5000);
  };
  const req = http.get(target, { timeout: 5000 }, (res) => {
    res.resume();
    res.on("end", () => done(res.statusCode < 500));
  });
  req.on("error", () => done(false));
  req.on("timeout", () => req.destroy());
}
setInterval(fire, 1000 / rate);
const pct = (xs, p) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] : 0);
http
  .createServer((req, res) => {
    if (req.url === "/health") return res.end("ok\n");
    const { latenciesMs, ...rest } = stats;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ ...rest, p50Ms: pct(latenciesMs, 50), p99Ms: pct(latenciesMs, 99) }) + "\n");
  })
  .listen(port, () => console.log(`load-generator on ${port} → ${target} at ${rate}/s`));
process.on("SIGTERM", () => process.exit(0));
