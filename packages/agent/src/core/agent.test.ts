import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseResources } from "@caravel/api";
import { SimContainerizer } from "../containerizers/sim/index.js";
import { FakeMaster, waitFor } from "../testing/fake-master.js";
import { startTestAgent } from "../testing/test-agent.js";
import type { AgentSettings } from "./agent.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(overrides: Partial<AgentSettings> = {}, workDir?: string) {
  const master = new FakeMaster();
  await master.start();
  cleanups.push(() => master.close());
  const dir = workDir ?? (await mkdtemp(join(tmpdir(), "agent-")));
  const agent = await startAgent(master, dir, overrides);
  return { master, agent, dir };
}

async function startAgent(master: FakeMaster, dir: string, overrides: Partial<AgentSettings> = {}) {
  const agent = await startTestAgent(master.url, dir, { hostname: "sim-host", containerizers: [new SimContainerizer()], ...overrides });
  cleanups.push(() => agent.close());
  await waitFor(() => agent.link.connected, "agent subscribed");
  return agent;
}

const framework = (caps: string[] = []) => ({ user: "root", name: "test", id: { value: "fw-1" }, failover_timeout: 0, checkpoint: true, roles: [], capabilities: caps.map((type) => ({ type })) });
const task = (id: string, labels: Record<string, string> = {}, extra: Record<string, unknown> = {}) => ({
  name: id,
  task_id: { value: id },
  agent_id: { value: "x" },
  resources: parseResources("cpus:0.1;mem:32;ports:[31001-31001]"),
  command: { value: "sleep 1000", shell: true },
  labels: { labels: Object.entries(labels).map(([key, value]) => ({ key, value })) },
  ...extra,
});

describe("agent against a fake master", () => {
  it("subscribes with its resources and runs a task to RUNNING", async () => {
    const { master } = await setup();
    const sub = master.subscribes[0]!["subscribe"];
    expect(sub.agent_info.hostname).toBe("sim-host");
    expect(sub.containerizers).toEqual(["sim"]);
    master.send({ type: "RUN_TASK", run_task: { framework: framework(), task: task("web.1") } });
    await waitFor(() => master.statesOf("web.1").includes("TASK_RUNNING"), "TASK_RUNNING");
    expect(master.statesOf("web.1")).toEqual(["TASK_STARTING", "TASK_RUNNING"]);
    const running = master.updates.find((u) => u.state === "TASK_RUNNING")!;
    expect(running.status["source"]).toBe("SOURCE_EXECUTOR");
    expect(running.status["executor_id"]).toEqual({ value: "web.1" });
    expect(Buffer.from(running.uuid!, "base64")).toHaveLength(16);
    const containerStatus = running.status["container_status"] as { network_infos: Array<{ ip_addresses: unknown[] }> };
    expect(containerStatus.network_infos[0]!.ip_addresses[0]).toEqual({ protocol: "IPv4", ip_address: "127.0.0.1" });
  });

  it("reports FINISHED, FAILED with the exit code, and launch failures", async () => {
    const { master } = await setup();
    master.send({ type: "RUN_TASK", run_task: { framework: framework(), task: task("ok.1", { CARAVEL_SIM_RUN_MS: "10" }) } });
    master.send({ type: "RUN_TASK", run_task: { framework: framework(), task: task("bad.1", { CARAVEL_SIM_RUN_MS: "10", CARAVEL_SIM_EXIT_CODE: "3" }) } });
    master.send({ type: "RUN_TASK", run_task: { framework: framework(), task: task("nolaunch.1", { CARAVEL_SIM_FAIL_LAUNCH: "image not found" }) } });
    await waitFor(() => master.statesOf("ok.1").includes("TASK_FINISHED"), "FINISHED");
    const failed = await waitFor(() => master.updates.find((u) => u.taskId === "bad.1" && u.state === "TASK_FAILED"), "FAILED");
    expect(failed.message).toBe("Command exited with status 3");
    const nolaunch = await waitFor(() => master.updates.find((u) => u.taskId === "nolaunch.1" && u.state === "TASK_FAILED"), "launch failure");
    expect(nolaunch.reason).toBe("REASON_CONTAINER_LAUNCH_FAILED");
    expect(nolaunch.message).toBe("image not found");
  });

  it("kills with TASK_KILLING for frameworks that have the capability", async () => {
    const { master } = await setup();
    master.send({ type: "RUN_TASK", run_task: { framework: framework(["TASK_KILLING_STATE"]), task: task("k.1") } });
    await waitFor(() => master.statesOf("k.1").includes("TASK_RUNNING"), "RUNNING");
    master.send({ type: "KILL_TASK", kill_task: { framework_id: { value: "fw-1" }, task_id: { value: "k.1" } } });
    await waitFor(() => master.statesOf("k.1").includes("TASK_KILLED"), "KILLED");
    expect(master.statesOf("k.1")).toEqual(["TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_KILLED"]);
  });

  it("sends one update per task until acknowledged, retries it, and resends after re-subscribing", async () => {
    const { master, agent } = await setup({ statusRetryMs: 300 });
    master.autoAck = false;
    master.send({ type: "RUN_TASK", run_task: { framework: framework(), task: task("slow.1") } });
    await waitFor(() => master.updates.length >= 1, "first update");
    await waitFor(() => master.updates.length >= 2, "a retry of the head", 10_000);
    expect(new Set(master.updates.map((u) => u.uuid)).size).toBe(1); // the head only, resent
    expect(master.updates[0]!.state).toBe("TASK_STARTING");
    expect(master.updates.at(-1)!.latestState).toBe("TASK_RUNNING");

    master.dropStreams();
    await waitFor(() => master.subscribes.length >= 2 && agent.link.connected, "re-subscription");
    const resub = master.subscribes[1]!;
    expect(resub["agent_id"]).toEqual({ value: "fake-S0" });
    const t = resub["subscribe"].tasks.find((x) => x.info.task_id.value === "slow.1");
    expect(t?.state).toBe("TASK_RUNNING");
    expect(t?.pending_uuid).toBe(master.updates[0]!.uuid);

    const head = master.updates[0]!;
    master.send({ type: "ACKNOWLEDGE", acknowledge: { framework_id: { value: "fw-1" }, task_id: { value: "slow.1" }, uuid: head.uuid } });
    await waitFor(() => master.statesOf("slow.1").includes("TASK_RUNNING"), "next update after ack");
  });

  it("answers PING with PONG", async () => {
    const { master } = await setup();
    master.send({ type: "PING" });
    await waitFor(() => master.pongs.length === 1, "PONG");
  });

  it("kills the rest of a task group when one member fails", async () => {
    const { master } = await setup();
    master.send({
      type: "RUN_TASK_GROUP",
      run_task_group: {
        framework: framework(),
        executor: { executor_id: { value: "pod.exec" }, type: "DEFAULT", resources: [] },
        task_group: { tasks: [task("pod.a"), task("pod.b", { CARAVEL_SIM_RUN_MS: "50", CARAVEL_SIM_EXIT_CODE: "1" })] },
      },
    });
    await waitFor(() => master.statesOf("pod.b").includes("TASK_FAILED"), "member failed");
    await waitFor(() => master.statesOf("pod.a").includes("TASK_KILLED"), "other member killed");
    const a = master.updates.find((u) => u.taskId === "pod.a")!;
    expect(a.status["executor_id"]).toEqual({ value: "pod.exec" });
  });

  it("reports simulated health and kills after consecutive failures", async () => {
    const { master } = await setup();
    const hc = { type: "COMMAND", command: { value: "true" }, delay_seconds: 0, interval_seconds: 0.05, timeout_seconds: 1, consecutive_failures: 2, grace_period_seconds: 0 };
    master.send({ type: "RUN_TASK", run_task: { framework: framework(), task: task("sick.1", { CARAVEL_SIM_UNHEALTHY_AFTER_MS: "300" }, { health_check: hc }) } });
    await waitFor(() => master.statesOf("sick.1").includes("TASK_KILLED"), "killed after failures");
    const health = master.updates.filter((u) => u.taskId === "sick.1" && u.reason === "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED");
    expect(health[0]!.healthy).toBe(true);
    expect(health.filter((u) => u.healthy === false).length).toBeGreaterThanOrEqual(1);
  });

  it("after a restart, re-registers with its id, keeps running sim tasks and reports the one that ended meanwhile", async () => {
    const { master, agent, dir } = await setup();
    master.send({ type: "RUN_TASK", run_task: { framework: framework(), task: task("r.1") } });
    master.send({ type: "RUN_TASK", run_task: { framework: framework(), task: task("r.2", { CARAVEL_SIM_EXIT_ON_FILE: "done", CARAVEL_SIM_EXIT_CODE: "0" }) } });
    await waitFor(() => master.statesOf("r.1").includes("TASK_RUNNING") && master.statesOf("r.2").includes("TASK_RUNNING"), "RUNNING");
    const sandbox = [...agent.tasks.values()].find((t) => t.info.task_id.value === "r.2")!.sandbox;
    await agent.close();
    await writeFile(join(sandbox, "done"), "");
    const again = await startAgent(master, dir);
    expect(again.agentId).toBe("fake-S0");
    const resub = master.subscribes.at(-1)!;
    expect(resub["agent_id"]).toEqual({ value: "fake-S0" });
    expect(resub["subscribe"].tasks.map((t: { info: { task_id: { value: string } } }) => t.info.task_id.value).sort()).toEqual(["r.1", "r.2"]);
    await waitFor(() => master.statesOf("r.2").includes("TASK_FINISHED"), "r.2 FINISHED after the restart");
    expect(master.statesOf("r.1")).not.toContain("TASK_LOST");
    expect([...again.tasks.values()].find((t) => t.info.task_id.value === "r.1")!.state).toBe("TASK_RUNNING");
  });
});
