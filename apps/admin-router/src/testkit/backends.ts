/**
 * Small real HTTP servers standing in for the master, Marathon, an agent and a service in the
 * router's integration tests: they answer the few endpoints the router uses, echo what they
 * received, and stream events, so that tests exercise real sockets end to end.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";

export const UUID = "0f8fad5b-d9cb-469f-a165-70867728950e";

export interface Backend {
  url: string;
  port: number;
  server: Server;
  /** Requests received, newest last. */
  seen: { method: string; url: string; headers: IncomingMessage["headers"]; body: string }[];
  close(): Promise<void>;
}

export async function startBackend(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<Backend> {
  const seen: Backend["seen"] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export const json = (res: ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
};

export const taskId = (appId: string) => `${appId.slice(1).replace(/\//g, "_")}.${UUID}`;

/** A Mesos state with Marathon tasks of /team-a/web and /team-b/db and one other framework. */
export function mesosState(agentPort: number) {
  return {
    frameworks: [
      { id: "fw-marathon", name: "marathon", webui_url: "", tasks: [{ id: taskId("/team-a/web"), framework_id: "fw-marathon" }, { id: taskId("/team-b/db"), framework_id: "fw-marathon" }] },
      { id: "fw-kafka", name: "kafka", webui_url: null, tasks: [{ id: "broker-0", framework_id: "fw-kafka" }] },
    ],
    slaves: [{ id: "agent-1", pid: `slave(1)@127.0.0.1:${agentPort}`, hostname: "127.0.0.1", port: agentPort }],
  };
}

/** An echoing service plus a WebSocket echo on /ws. */
export async function startEchoService(): Promise<Backend> {
  const backend = await startBackend((req, res, body) => {
    if (req.url?.startsWith("/slow")) return void setTimeout(() => json(res, 200, { slow: true }), 5_000);
    if (req.url?.startsWith("/redirect")) {
      res.writeHead(302, { location: "/elsewhere", "content-length": 0 });
      return void res.end();
    }
    json(res, 200, { method: req.method, url: req.url, headers: req.headers, body });
  });
  const wss = new WebSocketServer({ server: backend.server });
  wss.on("connection", (socket, req) => socket.on("message", (data) => socket.send(`echo(${req.headers["x-caravel-uid"] ?? "-"}): ${String(data)}`)));
  return backend;
}
