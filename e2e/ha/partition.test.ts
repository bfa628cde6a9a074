/**
 * Chaos: partition an agent host (its link goes down). With short ping timeouts its task goes
 * TASK_UNREACHABLE for a partition-aware framework, and comes back TASK_RUNNING once the host heals
 * and the agent re-registers (Mesos' partition-aware semantics).
 */
import { afterAll, describe, expect, it } from "vitest";
import { binPath, task, TestFramework, uniqueId, waitFor } from "@caravel/testing";
import { leaderOf, masterState, startHaCluster, type HaCluster } from "./cluster.js";

let cluster: HaCluster | undefined;
afterAll(async () => cluster?.stop(), 120_000);

describe("agent partition", () => {
  it("a cut-off agent's task goes TASK_UNREACHABLE and back to TASK_RUNNING when healed", { timeout: 240_000 }, async () => {
    binPath("master");
    binPath("agent");
    binPath("launcher");
    cluster = await startHaCluster({ agents: 3, masterFlags: "--agent_ping_timeout 1 --max_agent_ping_timeouts 3" });
    const urls = cluster.masters.map((m) => m.url);
    const leader = await waitFor(() => leaderOf(urls), { timeoutMs: 60_000, message: "a leader" });
    await waitFor(async () => (await masterState(leader)).slaves.filter((s) => s.active).length === 3, { timeoutMs: 60_000, message: "3 agents" });
    const name = uniqueId("partition-aware");
    const fw = await TestFramework.subscribe(leader, {
      frameworkInfo: { name, failover_timeout: 3600, checkpoint: true, capabilities: [{ type: "PARTITION_AWARE" }] },
    });
    const victim = cluster.agents[0]!.host;
    const offers = await fw.waitForOffers(3, { timeoutMs: 60_000 });
    const state = await masterState(leader);
    const victimId = state.slaves.find((s) => JSON.stringify(s).includes(`@${victim.ip}:`))?.id;
    expect(victimId, `an agent registered from ${victim.ip}`).toBeDefined();
    const offer = offers.find((o) => o.agent_id.value === victimId)!;
    expect(offer).toBeDefined();
    const t = task({ id: uniqueId("cut"), agentId: victimId!, cmd: "sleep 1000" });
    await fw.launch(offer, [t]);
    await fw.waitForTaskState(t.task_id.value, "TASK_RUNNING", { timeoutMs: 60_000 });

    victim.cut();
    await fw.waitForTaskState(t.task_id.value, "TASK_UNREACHABLE", { timeoutMs: 90_000 });
    victim.heal();
    await waitFor(() => fw.latest(t.task_id.value)?.state === "TASK_RUNNING", {
      timeoutMs: 120_000,
      message: () => `TASK_RUNNING again after heal (history: ${(fw.statuses.get(t.task_id.value) ?? []).map((s) => s.state).join(" → ")})`,
    });
    await waitFor(async () => (await masterState(leader)).slaves.filter((s) => s.active).length === 3, { timeoutMs: 60_000, message: "the healed agent active again" });
    await fw.close();
  });
});
