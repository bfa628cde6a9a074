/**
 * Health probes: a process is healthy when its health path answers 200 over HTTP, or, for
 * ZooKeeper (`zk-srvr://host:port`), when `srvr` reports a Mode (it serves; `ruok` says imok too early).
 */
import { createConnection } from "node:net";

export interface Probe {
  healthy: boolean;
  /** "200", "HTTP 503", "leader", or why the connection failed. */
  detail: string;
}

export async function probe(url: string, timeoutMs = 2_000): Promise<Probe> {
  if (url.startsWith("zk-srvr://")) return probeZooKeeper(url, timeoutMs);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return { healthy: res.status === 200, detail: res.status === 200 ? "200" : `HTTP ${res.status}` };
  } catch (error) {
    const cause = (error as Error).cause as NodeJS.ErrnoException | undefined;
    return { healthy: false, detail: cause?.code ?? (error as Error).message };
  }
}

/** ZooKeeper's `srvr` four-letter word: "Mode: leader|follower|standalone" once it serves. */
export function probeZooKeeper(url: string, timeoutMs = 2_000): Promise<Probe> {
  const { hostname, port } = new URL(url.replace(/^zk-srvr:/, "http:"));
  return new Promise((resolve) => {
    let text = "";
    let error = "";
    const socket = createConnection({ host: hostname, port: Number(port) }, () => socket.end("srvr"));
    socket.setTimeout(timeoutMs, () => {
      error = "timeout";
      socket.destroy();
    });
    socket.on("data", (chunk: Buffer) => (text += chunk.toString()));
    socket.on("error", (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on("close", () => {
      const mode = /^Mode: (\S+)/m.exec(text)?.[1];
      resolve(mode ? { healthy: true, detail: mode } : { healthy: false, detail: error || text.trim().split("\n")[0] || "no Mode in srvr" });
    });
  });
}
