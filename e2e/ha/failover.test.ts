/**
 * Chaos: kill -9 of the leading master, five times, while a framework keeps launching (sim) tasks on
 * agents that are separate hosts (network namespaces). Each time: a new leader, every agent
 * re-registered, every task accounted for (none lost, none duplicated).
 */
import { afterAll, describe, expect, it } from "vitest";
import { binPath, task, TestFramework, uniqueId, waitFor } from "@caravel/testing";
import { leaderOf, masterState, resubscribe, startHaCluster, type HaCluster } from "./cluster.js";

let cluster: HaCluster | undefined;
afterAll(async () => cluster?.stop(), 120_000);

describe("master failover under load", () => {
  it("survives 5 kill -9s of the leader with no task lost or duplicated", { timeout: 240_000 }, async () => {
    binPath("master");
    binPath("agent");
    binPath("launcher");
    cluster = await startHaCluster({ agents: 3, masterFlags: "--agent_reregister_timeout 60" });
    const urls = cluster.masters.map((m) => m.url);
    let leader = await waitFor(() => leaderOf(urls), { timeoutMs: 60_000, message: "a leader" });
    await waitFor(async () => (await masterState(leader)).slaves.filter((s) => s.active).length === 3, { timeoutMs: 60_000, message: "3 agents" });
    const name = uniqueId("ha-framework");
    let fw = await TestFramework.subscribe(leader, { frameworkInfo: { name, failover_timeout: 3600, checkpoint: true } });
    const id = fw.frameworkId;
    const launched: string[] = [];
    const leaders = new Set([leader]);

    for (let round = 1; round <= 5; round++) {
      // Launch one task per agent this round and wait until they run.
      const offers = await fw.waitForOffers(3, { timeoutMs: 60_000 });
      const ids: string[] = [];
      for (const offer of offers.slice(0, 3)) {
        const t = task({ id: `r${round}-${offer.agent_id.value.slice(-6)}-${launched.length + ids.length}`, agentId: offer.agent_id.value, cmd: "sleep 1000" });
        await fw.launch(offer, [t]);
        ids.push(t.task_id.value);
      }
      for (const t of ids) await fw.waitForTaskState(t, "TASK_RUNNING", { timeoutMs: 60_000 });
      launched.push(...ids);

      const pid = cluster.masterPid(leader);
      expect(pid).toBeDefined();
      process.kill(pid!, "SIGKILL");
      const old = leader;
      leader = await waitFor(async () => {
        const l = await leaderOf(urls);
        return l && l !== old ? l : undefined;
      }, { timeoutMs: 90_000, message: `round ${round}: a new leader after kill -9 of ${old}` });
      leaders.add(leader);
      await waitFor(async () => (await masterState(leader)).slaves.filter((s) => s.active).length === 3, {
        timeoutMs: 90_000,
        message: `round ${round}: all 3 agents re-registered with ${leader}`,
      });
      await fw.close();
      fw = await resubscribe(urls, { id, name });
      // Every task launched so far is known exactly once, running.
      const tasks = await waitFor(async () => {
        const s = await masterState(leader);
        const all = s.frameworks.filter((f) => f.id === id).flatMap((f) => f.tasks);
        return all.length >= launched.length ? all : undefined;
      }, { timeoutMs: 60_000, message: `round ${round}: ${launched.length} tasks back in the leader's state` });
      expect(tasks.map((t) => t.id).sort()).toEqual([...launched].sort());
      expect(new Set(tasks.map((t) => t.state))).toEqual(new Set(["TASK_RUNNING"]));
    }
    expect(launched).toHaveLength(15);
    await fw.close();
  });
});
