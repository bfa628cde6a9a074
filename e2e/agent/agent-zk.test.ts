/**
 * `--master zk://…`: the agent finds the leading master in ZooKeeper (Mesos' json.info_ layout) and
 * moves to the new leader when the old one dies (kill -9), re-registering under the same agent id.
 * Needs ZooKeeper (apt-get install -y --no-install-recommends zookeeper).
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startZooKeeper, type ZooKeeperServer } from "../../packages/coordination/src/testing/index.js";
import { freePort } from "../harness/index.js";
import { startFromSource, until } from "../harness/source-process.js";

const children: ChildProcess[] = [];
let zk: ZooKeeperServer;
beforeAll(async () => {
  zk = await startZooKeeper();
}, 120_000);
afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await zk?.stop();
});




const slaves = async (url: string) => ((await (await fetch(`${url}/master/slaves`, { redirect: "manual" })).json()) as { slaves: Array<{ id: string; active: boolean }> }).slaves;

describe("caravel-agent --master zk://", () => {
  it("registers with the elected master and follows a failover", { timeout: 300_000 }, async () => {
    const zkUrl = zk.url("/mesos");
    const ports = [await freePort(), await freePort()];
    const masters = ports.map((port) =>
      startFromSource("master", ["--port", String(port), "--zk", zkUrl, "--zk_session_timeout", "4", "--work_dir", mkdtempSync(join(tmpdir(), "e2e-zkm-")), "--log_level", "warn", "--agent_ping_timeout", "2"], children),
    );
    const urls = ports.map((p) => `http://127.0.0.1:${p}`);
    const context = () => masters.map((m) => m.out()).join("\n") + agent.out();
    const leaderIndex = async () => {
      for (const [i, u] of urls.entries()) {
        const r = await fetch(`${u}/master/state`, { redirect: "manual" }).catch(() => undefined);
        if (r?.status === 200) {
          const state = (await r.json()) as { leader?: string; pid?: string };
          if (state.leader && state.leader === state.pid) return i + 1;
        }
      }
      return undefined;
    };
    const first = (await until("a leader", leaderIndex, 120_000, () => masters.map((m) => m.out()).join("\n"))) - 1;
    const agent = startFromSource("agent", ["--master", zkUrl, "--port", "0", "--work_dir", mkdtempSync(join(tmpdir(), "e2e-zka-")), "--containerizers", "sim", "--registration_backoff_factor", "0.1", "--log_level", "warn"], children);
    const registered = await until("the agent at the leader", async () => (await slaves(urls[first]!))[0], 120_000, context);

    masters[first]!.child.kill("SIGKILL");
    const other = 1 - first;
    await until("the other master to lead", async () => (await leaderIndex()) === other + 1, 120_000, context);
    const again = await until("the agent at the new leader", async () => (await slaves(urls[other]!)).find((s) => s.id === registered.id && s.active), 120_000, context);
    expect(again.id).toBe(registered.id);
  });
});
