/** A deployment that cannot place its instances says why on the event stream (no master: no offers). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFileStore } from "@caravel/coordination";
import { parseSseFrames } from "@caravel/api";
import { silentLogger } from "@caravel/runtime";
import { MarathonConfig } from "../config.js";
import { createServer, type MarathonServer } from "../server.js";

let dir: string;
let server: MarathonServer;
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "marathon-waiting-"));
  const config = MarathonConfig.parse({ http_port: 0, master: "http://127.0.0.1:1" });
  server = createServer({ config, store: await createFileStore(dir), log: silentLogger(), connect: false, waitingEventAfterMs: 200 });
  base = (await server.listen()).url;
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("deployment_waiting", () => {
  it("announces once that a deployment's instances wait, with the explain summary", { timeout: 30_000 }, async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}/v2/events?event_type=deployment_waiting`, { headers: { accept: "text/event-stream" }, signal: controller.signal });
    const reader = res.body!.getReader();
    const posted = await fetch(`${base}/v2/apps`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ id: "/stuck", cmd: "sleep 100", instances: 2 }) });
    expect(posted.status).toBe(201);
    const deploymentId = posted.headers.get("marathon-deployment-id");
    let text = "";
    while (!text.includes("event: deployment_waiting")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    const event = JSON.parse(parseSseFrames(text).find((f) => f.event === "deployment_waiting")!.data);
    expect(event).toMatchObject({ eventType: "deployment_waiting", id: deploymentId, appId: "/stuck", waiting: 2 });
    expect(event.summary).toEqual(expect.any(String));
    expect(event.summary.length).toBeGreaterThan(0);
  });
});
