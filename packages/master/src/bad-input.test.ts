/** Bad input for every kind of call gets the exact status and a message, and changes nothing. */
import { afterEach, describe, expect, it } from "vitest";
import { TestFramework } from "@caravel/testing";
import { AgentDriver } from "./test-support/agent-driver.js";
import { startTestMaster, type TestMaster } from "./test-support/master.js";

let master: TestMaster;
const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function setup() {
  master = await startTestMaster({ max_body_bytes: 64 * 1024 });
  cleanup.push(() => master.close());
  const agent = new AgentDriver({ masterUrl: master.url });
  await agent.subscribe();
  cleanup.push(() => agent.disconnect());
  const fw = await TestFramework.subscribe(master.url);
  cleanup.push(() => fw.close());
  return fw;
}

const post = (path: string, body: string, headers: Record<string, string> = { "content-type": "application/json" }) =>
  fetch(`${master.url}${path}`, { method: "POST", headers, body });

async function stateSnapshot() {
  const state = (await (await fetch(`${master.url}/master/state`)).json()) as { frameworks: Array<{ id: string; tasks: unknown[] }>; slaves: unknown[] };
  return JSON.stringify({ frameworks: state.frameworks.map((f) => [f.id, f.tasks.length]), slaves: state.slaves.length });
}

describe("bad input", () => {
  it("answers each malformed scheduler call with the right status and a message", async () => {
    const fw = await setup();
    const before = await stateSnapshot();
    const id = fw.frameworkId;
    const stream = fw.subscription.streamId;
    const cases: Array<[string, Promise<Response>, number, RegExp]> = [
      ["malformed JSON", post("/api/v1/scheduler", "{not json"), 400, /not valid JSON/],
      ["no content type", fetch(`${master.url}/api/v1/scheduler`, { method: "POST", body: new TextEncoder().encode("{}") }), 400, /Content-Type/],
      ["wrong content type", post("/api/v1/scheduler", "{}", { "content-type": "text/plain" }), 415, /application\/json/],
      ["protobuf", post("/api/v1/scheduler", "{}", { "content-type": "application/x-protobuf" }), 415, /JSON only/],
      ["missing type", post("/api/v1/scheduler", "{}"), 400, /type/],
      ["unknown type", post("/api/v1/scheduler", '{"type":"FLY"}'), 400, /type/],
      ["missing framework id", post("/api/v1/scheduler", '{"type":"REVIVE"}'), 400, /framework_id/],
      ["unknown framework", post("/api/v1/scheduler", '{"type":"REVIVE","framework_id":{"value":"x"}}'), 400, /Framework cannot be found/],
      ["missing stream id", post("/api/v1/scheduler", JSON.stringify({ type: "REVIVE", framework_id: { value: id } })), 400, /Mesos-Stream-Id/],
      ["wrong stream id", post("/api/v1/scheduler", JSON.stringify({ type: "REVIVE", framework_id: { value: id } }), { "content-type": "application/json", "mesos-stream-id": "nope" }), 400, /didn't match/],
      ["missing payload", post("/api/v1/scheduler", JSON.stringify({ type: "ACCEPT", framework_id: { value: id } }), { "content-type": "application/json", "mesos-stream-id": stream }), 400, /Expecting 'accept'/],
      ["bad uuid", post("/api/v1/scheduler", JSON.stringify({ type: "ACKNOWLEDGE", framework_id: { value: id }, acknowledge: { agent_id: { value: "a" }, task_id: { value: "t" }, uuid: "AAAA" } }), { "content-type": "application/json", "mesos-stream-id": stream }), 400, /16 bytes/],
      ["oversized body", post("/api/v1/scheduler", JSON.stringify({ type: "SUBSCRIBE", pad: "x".repeat(100 * 1024) })), 413, /exceeds/],
      ["subscribe with stream id", post("/api/v1/scheduler", JSON.stringify({ type: "SUBSCRIBE", subscribe: { framework_info: { user: "u", name: "n" } } }), { "content-type": "application/json", "mesos-stream-id": "x" }), 400, /should not include/],
      ["operator: malformed JSON", post("/api/v1", "[1,"), 400, /not valid JSON/],
      ["operator: unknown agent", post("/api/v1", JSON.stringify({ type: "DRAIN_AGENT", drain_agent: { agent_id: { value: "none" } } })), 404, /not registered/],
      ["operator: bad weight", post("/api/v1", JSON.stringify({ type: "UPDATE_WEIGHTS", update_weights: { weight_infos: [{ role: "a", weight: -1 }] } })), 400, /positive/],
      ["agent: no stream", post("/internal/agent/v1", JSON.stringify({ type: "PONG", agent_id: { value: "none" } })), 404, /not registered/],
    ];
    for (const [name, response, status, message] of cases) {
      const res = await response;
      const text = await res.text();
      expect({ name, status: res.status }).toEqual({ name, status });
      expect(text, name).toMatch(message);
    }
    const get = await fetch(`${master.url}/api/v1/scheduler`);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect(await stateSnapshot()).toBe(before);
  });

  it("rejects a semantically invalid SUBSCRIBE with an ERROR event on a 200 stream", async () => {
    master = await startTestMaster();
    cleanup.push(() => master.close());
    const res = await post("/api/v1/scheduler", JSON.stringify({ type: "SUBSCRIBE", subscribe: { framework_info: { user: "u", name: "n", roles: ["a"] } } }));
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/"type":"ERROR".*MULTI_ROLE/);
  });
});
