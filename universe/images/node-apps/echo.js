// http-echo: answers every request with a JSON description of it; /health answers ok.
const http = require("node:http");
const os = require("node:os");
const port = Number(process.env.PORT0 || process.env.PORT || 8080);
http
  .createServer((req, res) => {
    if (req.url === "/health") return res.end("ok\n");
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.stringify({ host: os.hostname(), method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") }, null, 2);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(body + "\n");
    });
  })
  .listen(port, () => console.log(`http-echo listening on ${port}`));
process.on("SIGTERM", () => process.exit(0));
