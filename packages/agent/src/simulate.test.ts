/** `caravel-agent --containerizers=sim --simulate N`: N agents in one process, each with its own stream. */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FakeMaster, waitFor } from "./testing/fake-master.js";
import { startAgentProcess, type AgentProcess } from "./testing/agent-process.js";

const started: AgentProcess[] = [];
afterAll(() => {
  for (const a of started) a.child.kill("SIGKILL");
});

describe("simulated agents", () => {
  it("registers N agents over their own connections and runs tasks on each", { timeout: 120_000 }, async () => {
    const master = await new FakeMaster().start();
    const work = await mkdtemp(join(tmpdir(), "agent-sim-"));
    const N = 20;
    const proc = startAgentProcess(["--master", master.hostPort, "--port", "0", "--work_dir", work, "--containerizers", "sim", "--simulate", String(N), "--resources", "cpus:8;mem:16384", "--registration_backoff_factor", "0.05", "--log_level", "warn"]);
    started.push(proc);
    try {
      await waitFor(() => master.connected === N, `${N} agent streams`, 60_000).catch((e: Error) => {
        throw new Error(`${e.message}: ${master.connected} connected\n${proc.output()}`);
      });
      const hostnames = master.subscribes.map((s) => s["subscribe"].agent_info.hostname).sort();
      expect(new Set(hostnames).size).toBe(N);
      expect(hostnames).toContain("sim-agent-0");
      expect(hostnames).toContain(`sim-agent-${N - 1}`);
      const ports = new Set(master.subscribes.map((s) => s["subscribe"].agent_info.port));
      expect(ports.size).toBe(N);

      const framework = { user: "root", name: "sim", id: { value: "fw-sim" }, roles: [], capabilities: [] };
      for (let i = 0; i < N; i++) {
        const task = { name: "t", task_id: { value: `app.${i}` }, agent_id: { value: `fake-S${i}` }, resources: [], command: { value: "x" }, labels: { labels: [{ key: "CARAVEL_SIM_RUN_MS", value: i % 2 ? "50" : "" }] } };
        master.send({ type: "RUN_TASK", run_task: { framework, task } }, `fake-S${i}`);
      }
      await waitFor(() => Array.from({ length: N }, (_, i) => `app.${i}`).every((id) => master.statesOf(id).includes(i(id) % 2 ? "TASK_FINISHED" : "TASK_RUNNING")), "every task's expected state", 60_000);
      function i(id: string) {
        return Number(id.split(".")[1]);
      }
      // One update stream per task, on the agent that ran it.
      expect(master.updates.filter((u) => u.taskId === "app.3").every((u) => (u.status["agent_id"] as { value: string }).value === "fake-S3")).toBe(true);
    } finally {
      proc.child.kill("SIGTERM");
      await proc.exited;
      await master.close();
    }
  });
});
