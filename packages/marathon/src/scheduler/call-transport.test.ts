import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { CallTransport, type Call } from "./call-transport.js";
import { parseResponse } from "./pipeline.js";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A real HTTP server standing in for the master's /api/v1/scheduler. */
async function master(answer: (body: Record<string, unknown>, headers: Record<string, unknown>) => { status: number; text?: string }): Promise<string> {
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c: Buffer) => (raw += c.toString()));
    req.on("end", () => {
      const { status, text = "" } = answer(JSON.parse(raw) as Record<string, unknown>, req.headers);
      res.writeHead(status, { "content-length": Buffer.byteLength(text) });
      res.end(text);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const ack = (n: number): Call => ({ type: "ACKNOWLEDGE", acknowledge: { agent_id: { value: "a" }, task_id: { value: `t${n}` }, uuid: `u${n}` } });

describe("scheduler call transport", () => {
  it("pipelines a burst of calls with the stream id and framework id, each answered", async () => {
    const seen: unknown[] = [];
    const url = await master((body, headers) => {
      seen.push([(body["acknowledge"] as { uuid: string }).uuid, (body["framework_id"] as { value: string }).value, headers["mesos-stream-id"]]);
      return { status: 202 };
    });
    const t = new CallTransport({ masterUrl: url, streamId: "s1", frameworkId: "fw", fallback: () => Promise.reject(new Error("unused")), connections: 2 });
    await Promise.all(Array.from({ length: 500 }, (_, n) => t.call(ack(n))));
    t.close();
    expect(seen).toHaveLength(500);
    expect(seen).toContainEqual(["u499", "fw", "s1"]);
    expect(t.counts).toEqual({ fast: 500, fallback: 0 });
  });

  it("rejects a refused call with the master's message", async () => {
    const url = await master(() => ({ status: 400, text: "Task t0 is unknown" }));
    const t = new CallTransport({ masterUrl: url, streamId: "s", frameworkId: "fw", fallback: () => Promise.resolve() });
    await expect(t.call(ack(0))).rejects.toThrow(/400: Task t0 is unknown/);
    t.close();
  });

  it("hands calls to the fallback (credentials) after a 401, and keeps doing so", async () => {
    let asked = 0;
    const url = await master(() => (asked++, { status: 401, text: "login" }));
    const viaFallback: Call[] = [];
    const t = new CallTransport({ masterUrl: url, streamId: "s", frameworkId: "fw", fallback: (c) => (viaFallback.push(c), Promise.resolve()) });
    await t.call(ack(1));
    await t.call(ack(2));
    t.close();
    expect(asked).toBe(1);
    expect(viaFallback).toHaveLength(2);
  });

  it("fails the calls in flight when the master is unreachable", async () => {
    const url = await master(() => ({ status: 202 }));
    await new Promise((resolve) => servers.pop()!.close(resolve));
    const t = new CallTransport({ masterUrl: url, streamId: "s", frameworkId: "fw", fallback: () => Promise.resolve() });
    await expect(t.call(ack(0))).rejects.toThrow(/failed/);
    t.close();
  });

  it("parses responses split anywhere and back to back", () => {
    const two = Buffer.from("HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\nHTTP/1.1 400 Bad Request\r\ncontent-length: 5\r\nConnection: close\r\n\r\noops!");
    for (let cut = 0; cut < two.length; cut++) {
      const first = parseResponse(two.subarray(0, cut));
      if (first) expect(first.answer.status).toBe(202);
    }
    const a = parseResponse(two)!;
    expect(a.answer).toEqual({ status: 202, body: "" });
    const b = parseResponse(two.subarray(a.used))!;
    expect(b).toMatchObject({ answer: { status: 400, body: "oops!" }, close: true });
    expect(() => parseResponse(Buffer.from("garbage\r\n\r\n"))).toThrow(/malformed/);
  });
});
