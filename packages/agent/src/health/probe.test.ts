import { createServer as createHttpServer } from "node:http";
import { createServer as createTcpServer, type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { HealthCheck } from "@caravel/api";
import { probe } from "./probe.js";

const closers: Array<() => void> = [];
afterEach(() => {
  while (closers.length) closers.pop()!();
});

const target = { host: "127.0.0.1", exec: async () => ({ exitCode: 0, output: "" }) };

describe("health check probes", () => {
  it("HTTP: 2xx/3xx is healthy, others not, or the listed statuses", async () => {
    let status = 200;
    const server = createHttpServer((_req, res) => res.writeHead(status).end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    closers.push(() => server.close());
    const port = (server.address() as AddressInfo).port;
    const check = HealthCheck.parse({ type: "HTTP", http: { port, path: "/health" }, timeout_seconds: 5 });
    expect((await probe(check, target)).ok).toBe(true);
    status = 503;
    const bad = await probe(check, target);
    expect(bad.ok).toBe(false);
    expect(bad.message).toContain("503");
    const only = HealthCheck.parse({ type: "HTTP", http: { port, statuses: [503] } });
    expect((await probe(only, target)).ok).toBe(true);
  });

  it("TCP: a listening port is healthy, a closed one is not", async () => {
    const server = createTcpServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const check = HealthCheck.parse({ type: "TCP", tcp: { port }, timeout_seconds: 5 });
    expect((await probe(check, target)).ok).toBe(true);
    await new Promise<void>((r) => server.close(() => r()));
    expect((await probe(check, target)).ok).toBe(false);
  });

  it("COMMAND: exit 0 is healthy, through the containerizer's exec", async () => {
    const check = HealthCheck.parse({ type: "COMMAND", command: { value: "true" } });
    expect((await probe(check, target)).ok).toBe(true);
    expect((await probe(check, { ...target, exec: async () => ({ exitCode: 2, output: "" }) })).message).toBe("command exited with status 2");
    expect((await probe(check, { ...target, exec: async () => Promise.reject(new Error("no such container")) })).ok).toBe(false);
  });
});
