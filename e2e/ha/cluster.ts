/**
 * An HA cluster for the chaos tests: ZooKeeper ensemble and 3 masters started by `caravel-launch up
 * --ha` on the bridge address (so every namespace reaches them), and agents as separate hosts in
 * network namespaces. Helpers find the leader, its state, and re-subscribe a framework after failover.
 */
import { execFile, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binPath, TestFramework, waitFor } from "@caravel/testing";
import { probeZooKeeper } from "../../packages/launcher/src/health.js";
import { readState } from "../../packages/launcher/src/state.js";
import { createNetLab, GATEWAY, type NetHost, type NetLab } from "../harness/netns.js";

export interface HaCluster {
  home: string;
  lab: NetLab;
  zk: string;
  masters: { name: string; url: string }[];
  agents: { host: NetHost; proc: ChildProcess; workDir: string; args: string[] }[];
  /** pid of a master now (the supervisor restarts killed ones). */
  masterPid(url: string): number | undefined;
  startAgent(index: number): void;
  stop(): Promise<void>;
}

/** kill -9 of every process whose command line mentions `path` (never this process). */
export function killByPath(path: string): number {
  let killed = 0;
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(path)) {
        process.kill(pid, "SIGKILL");
        killed++;
      }
    } catch {
      // exited meanwhile
    }
  }
  return killed;
}

function launch(args: string[], home: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [binPath("launcher"), ...args, "--home", home], { timeout: 240_000 }, (error, out, err) =>
      done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out, err }),
    );
  });
}

export async function startHaCluster(options: { agents: number; masterFlags?: string; agentFlags?: string[]; containerizers?: string }): Promise<HaCluster> {
  // The lab first: it waits for another test file's lab to finish, before anything of ours starts.
  const lab = await createNetLab();
  const home = mkdtempSync(join(tmpdir(), "caravel-ha-e2e-"));
  const flags = ["--detach", "--random_ports", "--ip", GATEWAY, "--containerizers", "sim", "--zk_session_timeout", "2"];
  const up = await launch(["up", "--ha", "--only", "zk,master", `--master_flags=${options.masterFlags ?? ""}`, ...flags], home);
  if (up.code !== 0) {
    killByPath(home);
    lab.destroy();
    throw new Error(`caravel-launch up --ha failed: ${up.err}${up.out}`);
  }
  const state = readState(home)!;
  const zk = `zk://${state.components.filter((c) => c.name.startsWith("zk-")).map((c) => `${GATEWAY}:${c.port}`).join(",")}/mesos`;
  const masters = state.components.filter((c) => c.name.startsWith("master-")).map((c) => ({ name: c.name, url: c.url }));
  const agents: HaCluster["agents"] = [];
  const startAgent = (i: number): void => {
    const entry = agents[i]!;
    entry.proc = entry.host.spawn(process.execPath, [binPath("agent"), ...entry.args], { stdio: "ignore" });
  };
  for (let i = 0; i < options.agents; i++) {
    let host: NetHost;
    try {
      host = lab.addHost(`agent${i + 1}`);
    } catch (error) {
      await launch(["down", "--stop_timeout", "3"], home);
      killByPath(home);
      lab.destroy();
      throw error;
    }
    const workDir = join(home, `agent-${i + 1}`);
    const args = [
      "--master", zk, "--ip", host.ip, "--port", "5051", "--work_dir", workDir, "--containerizers", options.containerizers ?? "sim",
      "--resources", "cpus:8;mem:8192;disk:8192;ports:[31000-32000]", ...(options.agentFlags ?? []),
    ];
    agents.push({ host, proc: undefined as unknown as ChildProcess, workDir, args });
    startAgent(i);
  }
  return {
    home,
    lab,
    zk,
    masters,
    agents,
    startAgent,
    masterPid: (url) => readState(home)?.components.find((c) => c.url === url)?.pid,
    stop: async () => {
      for (const a of agents) {
        try {
          a.host.killAll();
        } catch {
          // its namespace is gone already; the lab's cleanup below kills what is left
        }
      }
      await launch(["down", "--stop_timeout", "3"], home);
      // Whatever still runs with this cluster's home on its command line (a supervisor that did not
      // stop in time, its ZooKeeper JVMs and masters) goes too: a test run must leave nothing behind.
      killByPath(home);
      lab.destroy();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** The leader all masters that answer agree on (through `/master/redirect`). */
export async function leaderOf(urls: string[]): Promise<string | undefined> {
  const seen = await Promise.all(
    urls.map(async (u) => {
      try {
        const res = await fetch(`${u}/master/redirect`, { redirect: "manual", signal: AbortSignal.timeout(2_000) });
        await res.body?.cancel();
        return res.status === 307 ? new URL(res.headers.get("location") ?? "", u).origin : undefined;
      } catch {
        return "down";
      }
    }),
  );
  const up = seen.filter((s) => s !== "down");
  return up.length >= 2 && up.every((s) => s && s === up[0]) ? up[0] : undefined;
}

/** Whether a master acts as the leader: it serves the API itself (or is recovering to do so). */
export async function claimsLeadership(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/master/slaves`, { redirect: "manual", signal: AbortSignal.timeout(3_000) });
    const body = await res.text();
    return res.status === 200 || (res.status === 503 && body.includes("has not finished recovery"));
  } catch {
    return false;
  }
}

export interface MasterState {
  slaves: { id: string; active: boolean; hostname: string }[];
  frameworks: { id: string; tasks: { id: string; state: string; slave_id: string }[] }[];
  unreachable_tasks?: { id: string; state: string }[];
}

export async function masterState(leader: string): Promise<MasterState> {
  const res = await fetch(`${leader}/master/state`, { signal: AbortSignal.timeout(10_000) });
  if (res.status !== 200) throw new Error(`state: HTTP ${res.status}`);
  return (await res.json()) as MasterState;
}

/** Re-subscribes a framework by id through any live master (followers redirect to the leader). */
export async function resubscribe(urls: string[], info: { id: string; name: string; partitionAware?: boolean }): Promise<TestFramework> {
  return waitFor(async () => {
    for (const url of urls) {
      try {
        return await TestFramework.subscribe(url, {
          frameworkInfo: {
            id: { value: info.id },
            name: info.name,
            failover_timeout: 3600,
            checkpoint: true,
            ...(info.partitionAware ? { capabilities: [{ type: "PARTITION_AWARE" }] } : {}),
          },
        });
      } catch {
        // that master is down or not leading yet
      }
    }
    return undefined;
  }, { timeoutMs: 60_000, message: `framework ${info.id} re-subscribed` });
}

/** The cluster's ZooKeeper nodes as the launcher recorded them (name, pid, port). */
export const zkNodes = (home: string) => readState(home)!.components.filter((c) => c.name.startsWith("zk-"));

/** A ZooKeeper node's mode ("leader", "follower", "standalone"), or undefined while it does not serve. */
export async function zkMode(port: number): Promise<string | undefined> {
  const p = await probeZooKeeper(`zk-srvr://${GATEWAY}:${port}`, 2_000);
  return p.healthy ? p.detail : undefined;
}
