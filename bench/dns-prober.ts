/**
 * Helper process for bench/dns-propagation-master.bench.ts: asks caravel-dns for the names it reads
 * on stdin (one a line) every POLL_MS until each resolves, and prints "<name> <epoch ms>" when one
 * does. Running apart from the benchmark's own framework keeps that process's work (status updates,
 * acknowledgements) out of the measured time.
 */
import { createSocket } from "node:dgram";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";

const dnsPacket = createRequire(new URL("../packages/dns/package.json", import.meta.url))("dns-packet") as typeof import("dns-packet");
const PORT = Number(process.env.DNS_PORT ?? 18353);
const POLL_MS = Number(process.env.POLL_MS ?? 2);
const pending = new Set<string>();
const socket = createSocket("udp4");
socket.on("message", (msg) => {
  const p = dnsPacket.decode(msg);
  const name = p.questions?.[0]?.name;
  if (name && pending.has(name) && (p.answers ?? []).length) {
    pending.delete(name);
    process.stdout.write(`${name} ${Date.now()}\n`);
  }
});
createInterface({ input: process.stdin }).on("line", (line) => line.trim() && pending.add(line.trim()));
process.stdin.on("end", () => {
  socket.close();
  process.exit(0);
});
const tick = () => {
  for (const name of pending) socket.send(dnsPacket.encode({ type: "query", id: 1, questions: [{ type: "A", name }] }), PORT, "127.0.0.1");
  setTimeout(tick, POLL_MS);
};
tick();
process.stdout.write("ready\n");
