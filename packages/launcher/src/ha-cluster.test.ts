/**
 * `caravel-launch up --ha` with the real ZooKeeper, masters and agents (built binaries): the masters
 * elect one leader, a kill -9 of the leader gives a new leader, the supervisor restarts the killed
 * master as a follower, and the agents re-register; `start --role agent --zk` adds one more machine's
 * agent to the same cluster.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { binPath, waitFor } from "@caravel/testing";
import { ZOOKEEPER_JAR } from "./components.js";
import { readState } from "./state.js";

const homes = { ha: mkdtempSync(join(tmpdir(), "caravel-launch-ha-")), extra: mkdtempSync(join(tmpdir(), "caravel-launch-ha-agent-")) };

function run(args: string[], home: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [binPath("launcher"), ...args, "--home", home], { timeout: 240_000 }, (error, out, err) =>
      done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out, err }),
    );
  });
}

/** Where `/master/redirect` of any master points (the leader's base URL), if they agree. */
async function leaderOf(urls: string[]): Promise<string | undefined> {
  const seen = await Promise.all(
    urls.map(async (u) => {
      const res = await fetch(`${u}/master/redirect`, { redirect: "manual", signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      return res.status === 307 ? new URL(res.headers.get("location") ?? "", u).origin : undefined;
    }),
  );
  return seen.every((s) => s && s === seen[0]) ? seen[0] : undefined;
}

async function activeAgents(leader: string): Promise<number> {
  const res = await fetch(`${leader}/master/state`, { signal: AbortSignal.timeout(5_000) });
  const state = (await res.json()) as { slaves?: { active: boolean }[] };
  return (state.slaves ?? []).filter((s) => s.active).length;
}

afterAll(async () => {
  await run(["down"], homes.extra);
  await run(["down"], homes.ha);
  for (const h of Object.values(homes)) rmSync(h, { recursive: true, force: true });
}, 240_000);

describe("caravel-launch up --ha", () => {
  it("elects a leader, fails over on kill -9, restarts the dead master, and takes agents from start --role", { timeout: 240_000 }, async () => {
    if (!existsSync(ZOOKEEPER_JAR)) throw new Error("ZooKeeper is not installed: apt-get install -y --no-install-recommends zookeeper");
    binPath("master");
    binPath("agent");
    const common = ["--detach", "--random_ports", "--containerizers", "sim", "--zk_session_timeout", "2"];
    const up = await run(["up", "--ha", "--only", "zk,master,agent", "--agents", "2", "--public_agents", "0", ...common], homes.ha);
    expect(up.err).toBe("");
    expect(up.code).toBe(0);
    const state = readState(homes.ha)!;
    const masters = state.components.filter((c) => c.name.startsWith("master-"));
    expect(masters.map((m) => m.name)).toEqual(["master-1", "master-2", "master-3"]);
    const urls = masters.map((m) => m.url);
    const leader = await waitFor(() => leaderOf(urls), { timeoutMs: 60_000, message: "one leader all masters agree on" });
    await waitFor(async () => (await activeAgents(leader)) === 2, { timeoutMs: 60_000, message: "2 agents registered" });

    const killed = masters.find((m) => m.url === leader)!;
    process.kill(killed.pid!, "SIGKILL");
    const next = await waitFor(async () => {
      const l = await leaderOf(urls);
      return l && l !== leader ? l : undefined;
    }, { timeoutMs: 90_000, message: "a new leader after kill -9 of the old one" });
    await waitFor(async () => (await activeAgents(next)) === 2, { timeoutMs: 90_000, message: "both agents re-registered with the new leader" });
    // The supervisor restarted the killed master; it rejoins as a follower redirecting to the new leader.
    await waitFor(() => {
      const c = readState(homes.ha)!.components.find((x) => x.name === killed.name)!;
      return c.restarts >= 1 && c.status === "healthy" && c.pid !== killed.pid;
    }, { timeoutMs: 60_000, message: `${killed.name} restarted by the supervisor` });
    await waitFor(async () => (await leaderOf(urls)) === next, { timeoutMs: 60_000, message: "all three masters agree on the new leader" });

    // One more "machine": an agent started with --role agent against the same ensemble (these
    // masters run without IAM, so without service accounts).
    const zk = readState(homes.ha)!.components.filter((c) => c.name.startsWith("zk-")).map((c) => `127.0.0.1:${c.port}`).join(",");
    const extra = await run(["start", "--role", "agent", "--zk", `zk://${zk}/mesos`, "--ip", "127.0.0.1", "--iam=false", ...common], homes.extra);
    expect(extra.err).toBe("");
    expect(extra.code).toBe(0);
    await waitFor(async () => (await activeAgents(next)) === 3, { timeoutMs: 60_000, message: "the start --role agent agent registered" });
  });
});
