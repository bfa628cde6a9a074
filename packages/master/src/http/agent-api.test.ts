/** The agent protocol endpoint: bad calls get a 4xx naming the problem, and calls are handled in order. */
import { afterEach, describe, expect, it } from "vitest";
import { AGENT_API_PATH } from "@caravel/api";
import { silentLogger } from "@caravel/runtime";
import { MasterConfig } from "../config.js";
import { memoryRegistryStore } from "../registry.js";
import { createMaster } from "../server.js";
import { AgentDriver } from "../test-support/agent-driver.js";
import { startTestMaster, type TestMaster } from "../test-support/master.js";

let master: TestMaster | undefined;
afterEach(async () => {
  await master?.close();
  master = undefined;
});

const post = (body: string | Uint8Array, headers: Record<string, string> = { "content-type": "application/json" }) =>
  fetch(`${master!.url}${AGENT_API_PATH}`, { method: "POST", headers, body });

describe("agent API", () => {
  it("answers malformed agent calls with a 4xx that says what is wrong", async () => {
    master = await startTestMaster({ max_body_bytes: 4096 });
    const cases: Array<[string, Promise<Response>, number, RegExp]> = [
      ["malformed JSON", post("{not json"), 400, /not valid JSON/],
      ["empty body", post(""), 400, /empty/],
      ["no content type", post(new TextEncoder().encode("{}"), {}), 400, /Content-Type/],
      ["protobuf", post("x", { "content-type": "application/x-protobuf" }), 415, /JSON only/],
      ["too large", post(JSON.stringify({ type: "SUBSCRIBE", pad: "x".repeat(5000) })), 413, /4096-byte limit/],
      ["SUBSCRIBE without agent_info", post(JSON.stringify({ type: "SUBSCRIBE", subscribe: { ip: "127.0.0.1" } })), 400, /agent_info/],
      ["unknown type", post(JSON.stringify({ type: "HELLO" })), 400, /type/],
      ["PONG without agent_id", post(JSON.stringify({ type: "PONG" })), 400, /agent_id/],
      ["PONG from a stranger", post(JSON.stringify({ type: "PONG", agent_id: { value: "nobody" } })), 404, /not registered/],
    ];
    for (const [name, response, status, message] of cases) {
      const res = await response;
      expect(res.status, name).toBe(status);
      expect(await res.text(), name).toMatch(message);
    }
  });

  it("registers agents that subscribe at once, each with its SUBSCRIBED", async () => {
    master = await startTestMaster();
    const agents = Array.from({ length: 50 }, (_, i) => new AgentDriver({ masterUrl: master!.url, hostname: `agent-${i}` }));
    try {
      await Promise.all(agents.map((a) => a.subscribe()));
      expect(new Set(agents.map((a) => a.agentId)).size).toBe(50);
      expect(master.server.ctx.agents.size).toBe(50);
    } finally {
      for (const a of agents) a.disconnect();
    }
  });

  it("holds SUBSCRIBEs that arrive while a new leader recovers its registry, where other calls get 503", async () => {
    // A registry whose read waits for the test: the leader is elected but not yet recovered.
    let finishRecovery!: () => void;
    const recovery = new Promise<void>((resolve) => (finishRecovery = resolve));
    const store = memoryRegistryStore();
    const slowStore = { ...store, children: async (path: string) => (await recovery, store.children(path)) };
    const server = await createMaster({
      config: MasterConfig.parse({ port: 0 }),
      log: silentLogger(),
      store: slowStore,
      leadership: { isLeader: () => true, leader: () => undefined },
    });
    const { url } = await server.listen();
    try {
      const leading = server.lead();
      const body = JSON.stringify({ type: "SUBSCRIBE", subscribe: { agent_info: { hostname: "early", port: 5051, resources: [] }, ip: "127.0.0.1" } });
      const abort = new AbortController();
      let answered = false;
      const subscribe = fetch(`${url}${AGENT_API_PATH}`, { method: "POST", headers: { "content-type": "application/json" }, body, signal: abort.signal }).finally(() => (answered = true));
      expect((await fetch(`${url}/master/state`)).status).toBe(503);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(answered).toBe(false);
      finishRecovery();
      await leading;
      const res = await subscribe;
      expect(res.status).toBe(200);
      const first = await res.body!.getReader().read();
      expect(new TextDecoder().decode(first.value)).toContain('"SUBSCRIBED"');
      expect(server.ctx.agents.size).toBe(1);
      abort.abort();
    } finally {
      await server.close();
    }
  });
});
