/**
 * Chaos: ZooKeeper nodes die one at a time (the ZooKeeper leader included): with a quorum left the
 * cluster keeps launching tasks. Then two of three are frozen (SIGSTOP: no quorum, and the supervisor
 * has no dead process to restart): nothing crash-loops, and when quorum returns a leader is elected,
 * agents re-register and the framework's tasks are all still running.
 * Masters connected through a frozen server notice the silence themselves (coordination's
 * zk/liveness.ts), so during the quorum loss no master goes on leading.
 */
import { afterAll, describe, expect, it } from "vitest";
import { binPath, task, TestFramework, uniqueId, waitFor } from "@caravel/testing";
import { readState } from "../../packages/launcher/src/state.js";
import { claimsLeadership, leaderOf, masterState, resubscribe, startHaCluster, type HaCluster, zkMode, zkNodes } from "./cluster.js";

let cluster: HaCluster | undefined;
const frozen: number[] = [];
afterAll(async () => {
  for (const pid of frozen) {
    try {
      process.kill(pid, "SIGCONT");
    } catch {
      // gone
    }
  }
  await cluster?.stop();
}, 120_000);


async function launchOne(fw: TestFramework, label: string): Promise<string> {
  const [offer] = await fw.waitForOffers(1, { timeoutMs: 60_000 });
  const t = task({ id: uniqueId(label), agentId: offer!.agent_id.value, cmd: "sleep 1000" });
  await fw.launch(offer!, [t]);
  await fw.waitForTaskState(t.task_id.value, "TASK_RUNNING", { timeoutMs: 60_000 });
  return t.task_id.value;
}

describe("ZooKeeper node loss", () => {
  it("keeps working with a quorum, rides out a quorum loss without crash loops, and recovers", { timeout: 240_000 }, async () => {
    binPath("master");
    binPath("agent");
    binPath("launcher");
    cluster = await startHaCluster({ agents: 3, masterFlags: "--agent_reregister_timeout 60" });
    const home = cluster.home;
    const urls = cluster.masters.map((m) => m.url);
    let leader = await waitFor(() => leaderOf(urls), { timeoutMs: 60_000, message: "a leader" });
    await waitFor(async () => (await masterState(leader)).slaves.filter((s) => s.active).length === 3, { timeoutMs: 60_000, message: "3 agents" });
    const name = uniqueId("zk-chaos");
    let fw = await TestFramework.subscribe(leader, { frameworkInfo: { name, failover_timeout: 3600, checkpoint: true } });
    const id = fw.frameworkId;
    const first = await launchOne(fw, "before");

    // One at a time, the ZooKeeper leader first: the supervisor restarts each; the cluster keeps working.
    const nodes = zkNodes(home);
    const modes = await Promise.all(nodes.map((n) => zkMode(n.port)));
    const order = [...nodes].sort((a, b) => Number(modes[nodes.indexOf(b)] === "leader") - Number(modes[nodes.indexOf(a)] === "leader"));
    expect(modes).toContain("leader");
    for (const node of order) {
      const pid = zkNodes(home).find((n) => n.name === node.name)!.pid!;
      process.kill(pid, "SIGKILL");
      leader = await waitFor(() => leaderOf(urls), { timeoutMs: 90_000, message: `a leading master with ${node.name} down` });
      await fw.close();
      fw = await resubscribe(urls, { id, name });
      await launchOne(fw, `without-${node.name}`);
      await waitFor(async () => {
        const c = zkNodes(home).find((n) => n.name === node.name)!;
        return c.pid !== pid && (await zkMode(c.port)) !== undefined;
      }, { timeoutMs: 90_000, message: `${node.name} restarted by the supervisor and serving` });
    }

    // No quorum: freeze two of three.
    const restartsBefore = readState(home)!.components.filter((c) => c.name.startsWith("master-")).reduce((n, c) => n + c.restarts, 0);
    for (const node of zkNodes(home).slice(0, 2)) {
      process.kill(node.pid!, "SIGSTOP");
      frozen.push(node.pid!);
    }
    // The node left alone loses the quorum and stops serving (masters connected to it are dropped).
    const alone = zkNodes(home)[2]!;
    await waitFor(async () => (await zkMode(alone.port)) === undefined, { timeoutMs: 60_000, message: `${alone.name} stops serving without a quorum` });
    // Every master steps down: those on the lone node are dropped, those on frozen ones hear nothing.
    await waitFor(async () => (await Promise.all(urls.map(claimsLeadership))).every((claims) => !claims), {
      timeoutMs: 60_000,
      message: "no master leading without a ZooKeeper quorum",
    });
    // Let the session timeout (2 s) pass several times over while there is no quorum, by polling state.
    const noQuorumSince = Date.now();
    await waitFor(async () => {
      await Promise.all(urls.map((u) => fetch(`${u}/health`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.body?.cancel(), () => undefined)));
      return Date.now() - noQuorumSince > 8_000;
    }, { timeoutMs: 60_000, intervalMs: 500, message: "a while without quorum" });
    // Recover: quorum returns.
    for (const pid of frozen.splice(0)) process.kill(pid, "SIGCONT");
    leader = await waitFor(() => leaderOf(urls), { timeoutMs: 120_000, message: "a leader once quorum returns" });
    await waitFor(async () => (await masterState(leader)).slaves.filter((s) => s.active).length === 3, {
      timeoutMs: 120_000,
      message: "3 agents re-registered after quorum returned",
    });
    await fw.close();
    fw = await resubscribe(urls, { id, name });
    const tasks = await waitFor(async () => {
      const all = (await masterState(leader)).frameworks.filter((f) => f.id === id).flatMap((f) => f.tasks);
      return all.length >= 4 ? all : undefined;
    }, { timeoutMs: 60_000, message: "the framework's 4 tasks back" });
    expect(tasks.find((t) => t.id === first)?.state).toBe("TASK_RUNNING");
    expect(tasks).toHaveLength(4);
    // No crash loop: each master restarted at most a few times (a leader that lost its session exits once).
    const restartsAfter = readState(home)!.components.filter((c) => c.name.startsWith("master-")).reduce((n, c) => n + c.restarts, 0);
    expect(restartsAfter - restartsBefore).toBeLessThanOrEqual(9);
    await fw.close();
  });
});
