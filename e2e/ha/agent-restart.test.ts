/**
 * Chaos: kill -9 an agent host's agent while a framework keeps launching, then start it again on the
 * same work dir: it recovers its checkpointed tasks and re-registers; none of its tasks is lost.
 * Uses the mesos (process) containerizer: sim tasks live inside the agent process and die with it.
 */
import { afterAll, describe, expect, it } from "vitest";
import { binPath, task, TestFramework, uniqueId, waitFor } from "@caravel/testing";
import { killHard } from "../harness/netns.js";
import { leaderOf, masterState, startHaCluster, type HaCluster } from "./cluster.js";

let cluster: HaCluster | undefined;
afterAll(async () => cluster?.stop(), 120_000);

describe("agent restart under load", () => {
  it("keeps the tasks of an agent killed with -9 and restarted", { timeout: 240_000 }, async () => {
    binPath("master");
    binPath("agent");
    binPath("launcher");
    // Sim tasks live inside the agent process; real processes (the mesos containerizer) outlive it.
    cluster = await startHaCluster({ agents: 3, containerizers: "mesos" });
    const urls = cluster.masters.map((m) => m.url);
    const leader = await waitFor(() => leaderOf(urls), { timeoutMs: 60_000, message: "a leader" });
    await waitFor(async () => (await masterState(leader)).slaves.filter((s) => s.active).length === 3, { timeoutMs: 60_000, message: "3 agents" });
    const fw = await TestFramework.subscribe(leader, { frameworkInfo: { name: uniqueId("restart"), failover_timeout: 3600, checkpoint: true } });
    const victim = cluster.agents[0]!;
    const victimId = (await masterState(leader)).slaves.find((s) => JSON.stringify(s).includes(`@${victim.host.ip}:`))!.id;
    const launched: string[] = [];
    const launchOn = async (agentId: string | undefined, count: number) => {
      const wanted = (o: { agent_id: { value: string } }) => (agentId ? o.agent_id.value === agentId : o.agent_id.value !== victimId);
      const chosen = await waitFor(() => {
        const found = [...fw.offers.values()].filter(wanted);
        return found.length >= (agentId ? 1 : 2) ? found : undefined;
      }, { timeoutMs: 60_000, message: `offers from ${agentId ?? "the other agents"}` });
      const ids: string[] = [];
      for (const offer of chosen) {
        const tasks = Array.from({ length: count }, () => task({ id: uniqueId("r"), agentId: offer.agent_id.value, cmd: "sleep 1000" }));
        await fw.launch(offer, tasks);
        ids.push(...tasks.map((t) => t.task_id.value));
      }
      for (const t of ids) await fw.waitForTaskState(t, "TASK_RUNNING", { timeoutMs: 60_000 });
      launched.push(...ids);
    };
    await launchOn(victimId, 3);
    // kill -9 of the agent process only: its tasks (same namespace) must outlive it.
    const dead = victim.proc;
    killHard(dead.pid!);
    await waitFor(() => dead.exitCode !== null || dead.signalCode !== null, { message: "the agent process died" });
    await waitFor(async () => (await masterState(leader)).slaves.find((s) => s.id === victimId)?.active === false, {
      timeoutMs: 60_000,
      message: "the master saw the agent disconnect",
    });
    // Load goes on elsewhere while the agent is down.
    await launchOn(undefined, 1);
    cluster.startAgent(0);
    expect(cluster.agents[0]!.proc.pid).not.toBe(dead.pid);
    await waitFor(async () => (await masterState(leader)).slaves.find((s) => s.id === victimId)?.active === true, {
      timeoutMs: 90_000,
      message: "the restarted agent re-registered under the same id",
    });
    const tasks = await waitFor(async () => {
      const all = (await masterState(leader)).frameworks.filter((f) => f.id === fw.frameworkId).flatMap((f) => f.tasks);
      return all.length === launched.length && all.every((t) => t.state === "TASK_RUNNING") ? all : undefined;
    }, { timeoutMs: 90_000, message: () => `all ${launched.length} tasks running after the agent restart (${launched.map((id) => `${id}: ${(fw.statuses.get(id) ?? []).map((s) => s.state).join(">")}`).join(", ")})` });
    expect(tasks.map((t) => t.id).sort()).toEqual([...launched].sort());
    for (const id of launched) expect(fw.statuses.get(id)!.map((s) => s.state)).not.toContain("TASK_LOST");
    await fw.close();
  });
});
