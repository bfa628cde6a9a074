import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { PipelineClient } from "./pipeline-client.js";

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function start(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("PipelineClient", () => {
  it("matches pipelined responses to requests in order (content-length, chunked, empty)", async () => {
    const url = await start((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const n = Number(JSON.parse(body).n);
        if (n % 3 === 0) res.writeHead(202).end();
        else if (n % 3 === 1) res.writeHead(200, { "content-type": "text/plain" }).end(`echo ${n} ${req.headers["x-id"]}`);
        else {
          res.writeHead(400);
          res.write(`part-${n}-`);
          setTimeout(() => res.end("tail"), n % 5);
        }
      });
    });
    const client = new PipelineClient(url, 2);
    const results = await Promise.all(Array.from({ length: 200 }, (_, n) => client.post("/x", JSON.stringify({ n }), { "x-id": `id${n}` })));
    results.forEach((r, n) => {
      if (n % 3 === 0) expect(r).toEqual({ status: 202, body: "" });
      else if (n % 3 === 1) expect(r).toEqual({ status: 200, body: `echo ${n} id${n}` });
      else expect(r).toEqual({ status: 400, body: `part-${n}-tail` });
    });
    client.close();
  });

  it("fails the requests in flight when the server goes away, then reconnects", async () => {
    let drop = true;
    const url = await start((req, res) => {
      if (drop) {
        req.socket.destroy();
        return;
      }
      res.writeHead(202).end();
    });
    const client = new PipelineClient(url, 1);
    await expect(client.post("/x", "{}")).rejects.toThrow(/closed|reset|hang up/i);
    drop = false;
    expect((await client.post("/x", "{}")).status).toBe(202);
    client.close();
  });
});
