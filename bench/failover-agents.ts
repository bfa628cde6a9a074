/**
 * The simulated agents of bench/failover-scale.bench.ts, in a child process of their own so that
 * their CPU is not the bench's (the bench only watches ZooKeeper and the masters). Each agent is one
 * raw TCP connection carrying a pre-built SUBSCRIBE (its id and its RUNNING tasks, as an agent sends
 * after a failover); it counts as subscribed when SUBSCRIBED arrives, and then reads and drops what
 * follows (PINGs). Raw sockets and pre-built requests keep the agents' side to a write and a read
 * each, where node:http's client would cost about as much as the master's own work.
 *
 * Parent → child (IPC): { type: "subscribe", url, batch? } and { type: "drop" }.
 * Child → parent: { type: "subscribed", first, last (ms since the epoch), retries, errors, cpuMs (this
 * process's CPU during the round) }, { type: "dropped" }.
 */
import { connect, type Socket } from "node:net";
import { subscribeBody, subscribeRequest } from "./lib/simulated-agent.js";

const AGENTS = Number(process.env["AGENTS"] ?? 10_000);
const TASKS_PER_AGENT = Number(process.env["TASKS_PER_AGENT"] ?? 10);
/**
 * Each agent re-subscribes after a random delay in [0, SPREAD_MS]: Caravel's agent waits a random
 * [0, registration_backoff_factor] (0.25 s by default) before reconnecting, Mesos' agent [0, 1 s].
 */
const SPREAD_MS = Number(process.env["SPREAD_MS"] ?? 250);

const bodies = Array.from({ length: AGENTS }, (_, i) => subscribeBody(i, TASKS_PER_AGENT));
const sockets: Array<Socket | undefined> = new Array(AGENTS);

interface Round {
  first?: number;
  last?: number;
  retries: number;
  errors: Map<string, number>;
}

const request = (url: URL, index: number): Buffer => subscribeRequest(url.host, bodies[index]!);

/** One agent's SUBSCRIBE, retried (after 100 ms) until SUBSCRIBED arrives. */
function subscribe(url: URL, index: number, round: Round): Promise<void> {
  return new Promise((resolve) => {
    const attempt = (): void => {
      let text = "";
      let settled = false;
      const socket = connect({ host: url.hostname, port: Number(url.port) });
      socket.setNoDelay(true);
      const retry = (why: string): void => {
        if (settled) return;
        settled = true;
        socket.destroy();
        round.retries++;
        round.errors.set(why, (round.errors.get(why) ?? 0) + 1);
        setTimeout(attempt, 100);
      };
      socket.on("connect", () => socket.write(request(url, index)));
      socket.on("data", (chunk: Buffer) => {
        if (settled) return;
        text += chunk.toString("latin1");
        if (text.length >= 12 && !text.startsWith("HTTP/1.1 200")) {
          if (text.includes("\r\n\r\n")) retry(`answer ${text.slice(9, 12)}`);
          return;
        }
        if (text.includes('"SUBSCRIBED"')) {
          settled = true;
          const now = Date.now();
          round.first ??= now;
          round.last = now;
          text = "";
          sockets[index] = socket;
          socket.removeAllListeners("data");
          socket.on("data", () => undefined); // PINGs and the rest: read and dropped
          resolve();
        }
      });
      socket.on("error", (error: NodeJS.ErrnoException) => retry(error.code ?? error.message));
      socket.on("close", () => retry("closed"));
    };
    attempt();
  });
}

async function subscribeAll(url: URL, batch: number): Promise<Round> {
  const round: Round = { retries: 0, errors: new Map() };
  for (let i = 0; i < AGENTS; i += batch) {
    const some: Promise<void>[] = [];
    for (let k = i; k < Math.min(AGENTS, i + batch); k++) {
      const delay = Math.random() * SPREAD_MS;
      some.push(new Promise((r) => setTimeout(r, delay)).then(() => subscribe(url, k, round)));
    }
    await Promise.all(some);
  }
  return round;
}

process.on("message", (message: { type: string; url?: string; batch?: number }) => {
  if (message.type === "subscribe") {
    const cpu = process.cpuUsage();
    void subscribeAll(new URL(message.url!), message.batch ?? AGENTS).then((round) => {
      const used = process.cpuUsage(cpu);
      const cpuMs = Math.round((used.user + used.system) / 1000);
      process.send!({ type: "subscribed", first: round.first, last: round.last, retries: round.retries, errors: Object.fromEntries(round.errors), cpuMs });
    });
  } else if (message.type === "drop") {
    // The old leader is gone: its connections are dropped without waiting for the kernel to say so.
    for (let i = 0; i < AGENTS; i++) {
      sockets[i]?.removeAllListeners("close");
      sockets[i]?.destroy();
      sockets[i] = undefined;
    }
    process.send!({ type: "dropped" });
  }
});
process.send!({ type: "ready", bytes: bodies.reduce((n, b) => n + b.length, 0) });
