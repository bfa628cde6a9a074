/**
 * Chaos: a ZooKeeper server that *freezes* (SIGSTOP) rather than dies keeps its TCP connections
 * open, so only the client's own liveness check (coordination's zk/liveness.ts) notices it. First
 * the server the leading master is connected through, then the ZooKeeper quorum leader, is frozen:
 * each time the cluster ends up with exactly one leading master that accepts calls while two of
 * three ZooKeeper servers keep a quorum, no leader is talking through the frozen server, two masters
 * never lead at once (sampled all along), and after SIGCONT the server rejoins and the cluster
 * goes on with every task running.
 */
import { execFileSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { binPath, task, TestFramework, uniqueId, waitFor } from "@caravel/testing";
import { claimsLeadership, leaderOf, masterState, resubscribe, startHaCluster, type HaCluster, zkMode, zkNodes } from "./cluster.js";

let cluster: HaCluster | undefined;
const frozen = new Set<number>();
let monitor: LeaderMonitor | undefined;
afterAll(async () => {
  monitor?.stop();
  for (const pid of frozen) {
    try {
      process.kill(pid, "SIGCONT");
    } catch {
      // gone
    }
  }
  await cluster?.stop();
}, 120_000);


/** The ZooKeeper client ports process `pid` has established connections to (from `ss`). */
function zkPortsOf(pid: number, zkPorts: readonly number[]): number[] {
  const out = execFileSync("ss", ["-Htnp", "state", "established"], { encoding: "utf8" });
  const ports = new Set<number>();
  for (const line of out.split("\n")) {
    if (!line.includes(`pid=${pid},`)) continue;
    const peer = line.trim().split(/\s+/)[3] ?? "";
    const port = Number(peer.slice(peer.lastIndexOf(":") + 1));
    if (zkPorts.includes(port)) ports.add(port);
  }
  return [...ports];
}

interface LeaderMonitor {
  /** The most masters seen leading in one parallel sample, and how many samples were taken. */
  readonly max: number;
  readonly samples: number;
  stop(): void;
}

/** Samples every master in parallel, over and over, until stopped. */
function monitorLeaders(urls: string[]): LeaderMonitor {
  let stopped = false;
  const state = { max: 0, samples: 0 };
  void (async () => {
    while (!stopped) {
      const claims = await Promise.all(urls.map(claimsLeadership));
      state.samples += 1;
      state.max = Math.max(state.max, claims.filter(Boolean).length);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return {
    get max() {
      return state.max;
    },
    get samples() {
      return state.samples;
    },
    stop: () => void (stopped = true),
  };
}

/** Launches one task and waits until it runs; `tried` learns its id before the launch is sent. */
async function launchOne(fw: TestFramework, label: string, tried: string[] = []): Promise<string> {
  const [offer] = await fw.waitForOffers(1, { timeoutMs: 60_000 });
  const t = task({ id: uniqueId(label), agentId: offer!.agent_id.value, cmd: "sleep 1000" });
  tried.push(t.task_id.value);
  await fw.launch(offer!, [t]);
  await fw.waitForTaskState(t.task_id.value, "TASK_RUNNING", { timeoutMs: 60_000 });
  return t.task_id.value;
}

describe("frozen ZooKeeper servers", () => {
  it("one leader, never two, calls accepted with a quorum; SIGCONT restores", { timeout: 360_000 }, async () => {
    binPath("master");
    binPath("agent");
    binPath("launcher");
    cluster = await startHaCluster({ agents: 2, masterFlags: "--agent_reregister_timeout 60" });
    const c = cluster;
    const urls = c.masters.map((m) => m.url);
    let leader = await waitFor(() => leaderOf(urls), { timeoutMs: 60_000, message: "a leader" });
    await waitFor(async () => (await masterState(leader)).slaves.filter((s) => s.active).length === 2, { timeoutMs: 60_000, message: "2 agents" });
    const name = uniqueId("zk-freeze");
    let fw = await TestFramework.subscribe(leader, { frameworkInfo: { name, failover_timeout: 3600, checkpoint: true } });
    const id = fw.frameworkId;
    const launched = [await launchOne(fw, "before")];
    monitor = monitorLeaders(urls);
    const zkPorts = zkNodes(c.home).map((n) => n.port);

    const freezeAndRecover = async (victim: { name: string; pid: number; port: number }, what: string): Promise<void> => {
      process.kill(victim.pid, "SIGSTOP");
      frozen.add(victim.pid);
      // A leader again, not talking through the frozen server, that accepts a framework and a launch.
      leader = await waitFor(async () => {
        const l = await leaderOf(urls);
        const pid = l === undefined ? undefined : c.masterPid(l);
        return l !== undefined && pid !== undefined && !zkPortsOf(pid, zkPorts).includes(victim.port) ? l : undefined;
      }, { timeoutMs: 90_000, message: `${what}: a leader not connected through the frozen ${victim.name}` });
      await waitFor(async () => (await masterState(leader)).slaves.filter((s) => s.active).length === 2, {
        timeoutMs: 90_000,
        message: `${what}: both agents registered with ${leader}`,
      });
      await fw.close();
      fw = await resubscribe(urls, { id, name });
      await launchThroughLeaderChange(`${what}-frozen`);

      process.kill(victim.pid, "SIGCONT");
      frozen.delete(victim.pid);
      await waitFor(async () => (await zkMode(victim.port)) !== undefined, { timeoutMs: 90_000, message: `${what}: ${victim.name} serves again after SIGCONT` });
      leader = await waitFor(() => leaderOf(urls), { timeoutMs: 90_000, message: `${what}: a leader after SIGCONT` });
      await fw.close();
      fw = await resubscribe(urls, { id, name });
      await launchThroughLeaderChange(`${what}-thawed`);
    };

    /**
     * A ZooKeeper election (the frozen quorum leader replaced, or a thawed server rejoining) can cost the
     * masters their 2 s sessions, so the leader may change under a launch: then re-subscribe, and count
     * the task if the master has it.
     */
    const launchThroughLeaderChange = async (label: string): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        const tried: string[] = [];
        try {
          launched.push(await launchOne(fw, label, tried));
          return;
        } catch (error) {
          if (attempt >= 3 || !String(error).includes("stream failed")) throw error;
          leader = await waitFor(() => leaderOf(urls), { timeoutMs: 90_000, message: `${label}: a leader again` });
          await waitFor(async () => (await masterState(leader)).slaves.filter((s) => s.active).length === 2, { timeoutMs: 90_000, message: `${label}: both agents back` });
          await fw.close();
          fw = await resubscribe(urls, { id, name });
          const known = new Set((await masterState(leader)).frameworks.filter((f) => f.id === id).flatMap((f) => f.tasks.map((t) => t.id)));
          const kept = tried.filter((t) => known.has(t));
          if (kept.length) {
            launched.push(...kept);
            return;
          }
        }
      }
    };

    // 1. The server the leading master talks through.
    const leaderPid = c.masterPid(leader)!;
    const [port] = zkPortsOf(leaderPid, zkPorts);
    expect(port, `the leading master (pid ${leaderPid}) has a ZooKeeper connection`).toBeDefined();
    const theirs = zkNodes(c.home).find((n) => n.port === port)!;
    await freezeAndRecover({ name: theirs.name, pid: theirs.pid!, port: theirs.port }, "leader's server");

    // 2. The ZooKeeper quorum leader.
    const zkLeader = await waitFor(async () => {
      for (const n of zkNodes(c.home)) if ((await zkMode(n.port)) === "leader") return n;
      return undefined;
    }, { timeoutMs: 60_000, message: "a ZooKeeper quorum leader" });
    await freezeAndRecover({ name: zkLeader.name, pid: zkLeader.pid!, port: zkLeader.port }, "quorum leader");

    monitor.stop();
    expect(monitor.samples).toBeGreaterThan(10);
    expect(monitor.max, "masters leading at once, at worst").toBe(1);
    const tasks = await waitFor(async () => {
      const all = (await masterState(leader)).frameworks.filter((f) => f.id === id).flatMap((f) => f.tasks);
      return all.length >= launched.length ? all : undefined;
    }, { timeoutMs: 60_000, message: `the framework's ${launched.length} tasks` });
    expect(tasks.map((t) => t.id).sort()).toEqual([...launched].sort());
    expect(new Set(tasks.map((t) => t.state))).toEqual(new Set(["TASK_RUNNING"]));
    await fw.close();
  });
});
