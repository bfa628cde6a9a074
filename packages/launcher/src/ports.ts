/** Free loopback ports for `--random_ports`, and a check that the default ports are free. */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:net";

/**
 * Ports are picked below the kernel's ephemeral range: a port from `listen(0)` lies inside it, and
 * in the second between choosing it and the child binding it, any outgoing connection on the
 * machine may take it as its source port. Also kept clear of agents' task ports (31000-32000).
 */
const PICK_RANGE: readonly [number, number] = [21000, 30999];

function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (low && high) return [low, high];
  } catch {
    // not Linux: assume the IANA range
  }
  return [49152, 65535];
}

function tryListen(port: number, host: string): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(undefined));
    server.listen(port, host, () => resolve(server));
  });
}

/** Returns `count` distinct free ports on 127.0.0.1 (all held open until every one is known). */
export async function freePorts(count: number, host = "127.0.0.1"): Promise<number[]> {
  const [ephLow, ephHigh] = ephemeralRange();
  const [low, high] = PICK_RANGE;
  const servers: Server[] = [];
  const ports: number[] = [];
  try {
    for (let attempts = 0; ports.length < count && attempts < 50 * count; attempts++) {
      const port = low + Math.floor(Math.random() * (high - low + 1));
      if ((port >= ephLow && port <= ephHigh) || ports.includes(port)) continue;
      const server = await tryListen(port, host);
      if (!server) continue;
      servers.push(server);
      ports.push(port);
    }
    // Fall back to the kernel's choice when the range is crowded.
    while (ports.length < count) {
      const server = (await tryListen(0, host))!;
      servers.push(server);
      ports.push((server.address() as { port: number }).port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

/** Which of `ports` cannot be bound on `host` right now (taken by another process). */
export async function busyPorts(ports: readonly number[], host = "127.0.0.1"): Promise<number[]> {
  const busy: number[] = [];
  for (const port of ports) {
    const server = await tryListen(port, host);
    if (server) await new Promise((r) => server.close(r));
    else busy.push(port);
  }
  return busy;
}
