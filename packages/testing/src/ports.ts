/** Free TCP ports on the loopback interface, for tests that must pass a port to a child process. */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";

/**
 * Picked below the kernel's ephemeral range (and below agents' task ports 31000-32000): a port
 * from `listen(0)` lies inside that range, where any outgoing connection may take it as its source
 * port before the child process gets to bind it.
 */
const LOW = 21000;
const HIGH = 30999;

function ephemeralLow(): number {
  try {
    return Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 49152;
  }
}

function tryListen(port: number, host: string): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(undefined));
    server.listen(port, host, () => resolve(server));
  });
}

/** A port that is free on `host` now, released at once for the caller's process to bind. */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  const high = Math.min(HIGH, ephemeralLow() - 1);
  for (let attempt = 0; attempt < 100 && high > LOW; attempt++) {
    const port = LOW + Math.floor(Math.random() * (high - LOW + 1));
    const server = await tryListen(port, host);
    if (!server) continue;
    await new Promise((r) => server.close(r));
    return port;
  }
  const server = (await tryListen(0, host))!;
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}
