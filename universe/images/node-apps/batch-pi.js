// batch-pi: computes DIGITS digits of pi once (Machin's formula with BigInt), then serves the result.
const http = require("node:http");
const port = Number(process.env.PORT0 || process.env.PORT || 8080);
const digits = Math.max(1, Math.min(100000, Number(process.env.DIGITS || 2000)));
function arctanInv(x, unity) {
  let sum = unity / x, term = unity / x, n = 1n, sign = -1n;
  const x2 = x * x;
  while (term !== 0n) {
    term /= x2;
    n += 2n;
    sum += sign * (term / n);
    sign = -sign;
  }
  return sum;
}
const started = Date.now();
const unity = 10n ** BigInt(digits + 10);
const pi = (4n * (4n * arctanInv(5n, unity) - arctanInv(239n, unity))) / 10n ** 10n;
const text = pi.toString();
const result = { digits, pi: `${text[0]}.${text.slice(1)}`, seconds: (Date.now() - started) / 1000 };
console.log(`computed ${digits} digits of pi in ${result.seconds} s`);
http
  .createServer((req, res) => {
    if (req.url === "/health") return res.end("ok\n");
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(result) + "\n");
  })
  .listen(port);
process.on("SIGTERM", () => process.exit(0));
