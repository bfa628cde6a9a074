import { describe, expect, it } from "vitest";
import { startProcess, useProcesses } from "./index.js";
import { freePort } from "./ports.js";

const scope = useProcesses();

// A tiny HTTP server as a child process: answers /health after `delay` ms, logs to both streams.
const server = (port: number, delay = 0) => `
  const http = require("node:http");
  const started = Date.now();
  console.log("booting");
  console.error("to stderr");
  http.createServer((req, res) => {
    res.writeHead(Date.now() - started >= ${delay} ? 200 : 503); res.end("ok");
  }).listen(${port}, "127.0.0.1", () => console.log("listening on ${port}"));
  process.on("SIGTERM", () => { console.log("got SIGTERM"); process.exit(0); });
`;

describe("startProcess", () => {
  it("waits for the health URL, captures logs, and stops with SIGTERM", { timeout: 120_000 }, async () => {
    const port = await freePort();
    const p = await scope.start({
      name: "server",
      command: process.execPath,
      args: ["-e", server(port, 200)],
      healthUrl: `http://127.0.0.1:${port}/health`,
    });
    expect(p.url).toBe(`http://127.0.0.1:${port}`);
    expect(p.pid).toBeGreaterThan(0);
    expect((await fetch(`${p.url}/health`)).status).toBe(200);
    expect(p.logs()).toEqual(expect.arrayContaining(["booting", "to stderr"]));
    const status = await p.stop();
    expect(status.code).toBe(0);
    expect(p.logs()).toContain("got SIGTERM");
    expect(p.exited).toBe(true);
  });

  it("waits for a ready line", { timeout: 120_000 }, async () => {
    const port = await freePort();
    const p = await scope.start({ name: "lines", command: process.execPath, args: ["-e", server(port)], readyLine: /listening on \d+/ });
    expect(p.logs().some((l) => l.startsWith("listening on"))).toBe(true);
  });

  it("fails with the last log lines when the process exits before it is ready", { timeout: 120_000 }, async () => {
    const port = await freePort();
    await expect(
      startProcess({
        name: "crasher",
        command: process.execPath,
        args: ["-e", "console.error('bad flag --frobnicate'); process.exit(3)"],
        healthUrl: `http://127.0.0.1:${port}/health`,
      }),
    ).rejects.toThrow(/crasher exited \(code 3[\s\S]*bad flag --frobnicate/);
  });

  it("escalates to SIGKILL when SIGTERM is ignored", { timeout: 120_000 }, async () => {
    const p = await scope.start({
      name: "stubborn",
      command: process.execPath,
      args: ["-e", "process.on('SIGTERM', () => console.log('ignoring')); console.log('up'); setInterval(() => {}, 1000)"],
      readyLine: "up",
    });
    const status = await p.stop(300);
    expect(status.signal).toBe("SIGKILL");
  });

  it("kill() signals the process and wait() reports it", { timeout: 120_000 }, async () => {
    const p = await scope.start({ name: "sleeper", command: "sleep", args: ["600"] });
    p.kill("SIGKILL");
    await expect(p.wait()).resolves.toMatchObject({ signal: "SIGKILL" });
  });
});
