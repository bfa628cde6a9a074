/**
 * The HA door with real servers and stores but a scripted election (ZooKeeper itself is exercised by
 * e2e/marathon/ha.test.ts): a follower proxies to the leader, answers /v2/leader itself, says 503
 * while no leader is known or while the elected one is still loading, and never proxies in a loop.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFileStore } from "@caravel/coordination";
import { silentLogger } from "@caravel/runtime";
import { MarathonConfig } from "../config.js";
import { createServer, type MarathonServer } from "../server.js";
import type { MarathonLeadership } from "./leadership.js";

/** An election the test decides. */
class ScriptedLeadership implements MarathonLeadership {
  readonly ha = true;
  leading = false;
  leader: string | undefined;
  elected: (() => Promise<void>) | undefined;
  isLeader = () => this.leading;
  leaderHostPort = () => this.leader;
  async campaign(_self: string, onElected: () => Promise<void>): Promise<void> {
    this.elected = onElected;
  }
  async close(): Promise<void> {}
}

const dirs: string[] = [];
const servers: MarathonServer[] = [];
async function start(leadership: MarathonLeadership): Promise<{ url: string; hostPort: string }> {
  const dir = mkdtempSync(join(tmpdir(), "marathon-ha-"));
  dirs.push(dir);
  const config = MarathonConfig.parse({ http_port: 0, master: "http://127.0.0.1:1" });
  const server = createServer({ config, store: await createFileStore(dir), log: silentLogger(), connect: false, leadership });
  servers.push(server);
  const url = (await server.listen()).url;
  return { url, hostPort: new URL(url).host };
}

const call = async (base: string, method: string, path: string, body?: unknown) => {
  const res = await fetch(base + path, { method, headers: { "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
};

let leaderElection: ScriptedLeadership;
let followerElection: ScriptedLeadership;
let leader: { url: string; hostPort: string };
let follower: { url: string; hostPort: string };

beforeAll(async () => {
  leaderElection = new ScriptedLeadership();
  followerElection = new ScriptedLeadership();
  leader = await start(leaderElection);
  follower = await start(followerElection);
});
afterAll(async () => {
  for (const s of servers) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("HA door", () => {
  it("answers 503 while nobody leads, and 404 on /v2/leader; liveness is always local", async () => {
    expect((await call(follower.url, "GET", "/v2/apps")).status).toBe(503);
    expect((await call(follower.url, "GET", "/v2/leader")).status).toBe(404);
    expect((await fetch(`${follower.url}/ping`)).status).toBe(200);
  });

  it("the elected Marathon serves only once it has loaded its state", async () => {
    leaderElection.leading = true;
    leaderElection.leader = leader.hostPort;
    const loading = await call(leader.url, "GET", "/v2/apps");
    expect(loading.status).toBe(503);
    expect(loading.json.message).toMatch(/loading its state/);
    await leaderElection.elected!();
    expect((await call(leader.url, "GET", "/v2/apps")).status).toBe(200);
  });

  it("a follower proxies every call (writes included) to the leader and names it", async () => {
    followerElection.leader = leader.hostPort;
    const created = await call(follower.url, "POST", "/v2/apps", { id: "/via-follower", cmd: "sleep 1", cpus: 0.1, mem: 16 });
    expect(created.status).toBe(201);
    expect(created.headers.get("x-marathon-leader")).toBe(`http://${leader.hostPort}`);
    expect(created.headers.get("x-marathon-via")).toBe(follower.hostPort);
    expect((await call(leader.url, "GET", "/v2/apps/via-follower")).json.app.id).toBe("/via-follower");
    expect((await call(follower.url, "GET", "/v2/leader")).json).toEqual({ leader: leader.hostPort });
    const bad = await call(follower.url, "POST", "/v2/apps", { id: "/bad", instances: -1 });
    expect(bad.status).toBe(422);
  });

  it("never loops: a leader that is not (yet) serving as one is not proxied back and forth", async () => {
    // The leader steps down and believes the follower leads, which still believes the other way.
    leaderElection.leading = false;
    leaderElection.leader = follower.hostPort;
    const looped = await call(follower.url, "GET", "/v2/apps");
    expect(looped.status).toBe(503);
    expect(looped.json.message).toMatch(/leadership is changing/);
  });
});
