/**
 * kill -9 of a real caravel-agent process while process tasks run, then a restart: the agent
 * reattaches to its containers without restarting them, resends unacknowledged updates, and
 * reports the task that ended while it was down.
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseResources } from "@caravel/api";
import { FakeMaster, waitFor } from "./testing/fake-master.js";
import { startAgentProcess, type AgentProcess } from "./testing/agent-process.js";

const framework = { user: "root", name: "recovery", id: { value: "fw-r" }, checkpoint: true, roles: [], capabilities: [] };
const task = (id: string, command: string) => ({
  name: id,
  task_id: { value: id },
  agent_id: { value: "x" },
  resources: parseResources("cpus:0.1;mem:64"),
  command: { value: command, shell: true },
});

const running: AgentProcess[] = [];
afterAll(() => {
  for (const a of running) a.child.kill("SIGKILL");
});

describe("agent recovery after kill -9 (process containerizer)", () => {
  it("reattaches, resends unacknowledged updates and reports what ended meanwhile", { timeout: 120_000 }, async () => {
    const master = await new FakeMaster().start();
    const work = await mkdtemp(join(tmpdir(), "agent-recovery-"));
    const marks = join(work, "starts");
    const go = join(work, "go");
    const args = ["--master", master.hostPort, "--port", "0", "--work_dir", work, "--containerizers", "mesos", "--registration_backoff_factor", "0.05", "--log_level", "warn"];
    const first = startAgentProcess(args);
    running.push(first);
    try {
      await waitFor(() => master.connected === 1, "the agent to subscribe", 60_000);
      master.send({ type: "RUN_TASK", run_task: { framework, task: task("long.1", `echo start >> ${marks}; exec sleep 1000`) } });
      master.send({ type: "RUN_TASK", run_task: { framework, task: task("ends.1", `while [ ! -f ${go} ]; do sleep 0.1; done; exit 0`) } });
      await waitFor(() => master.statesOf("long.1").includes("TASK_RUNNING") && master.statesOf("ends.1").includes("TASK_RUNNING"), "both tasks RUNNING", 60_000);

      master.autoAck = false;
      master.send({ type: "RUN_TASK", run_task: { framework, task: task("unacked.1", "exec sleep 1000") } });
      const starting = await waitFor(() => master.updates.find((u) => u.taskId === "unacked.1"), "unacked.1's first update", 60_000);
      expect(starting.state).toBe("TASK_STARTING");
      await waitFor(() => master.updates.find((u) => u.taskId === "unacked.1" && u.latestState === "TASK_RUNNING") ?? false, "unacked.1 running", 60_000).catch(() => undefined);

      first.child.kill("SIGKILL");
      await first.exited;
      await writeFile(go, "");
      const before = master.updates.length;

      const second = startAgentProcess(args);
      running.push(second);
      await waitFor(() => master.subscribes.length >= 2 && master.connected === 1, "re-subscription", 60_000).catch((error: Error) => {
        throw new Error(`${error.message}; subscribes=${master.subscribes.length} connected=${master.connected}; agent output:\n${second.output()}`);
      });
      const resub = master.subscribes.at(-1)!;
      expect(resub["agent_id"]).toEqual({ value: "fake-S0" });
      const listed = resub["subscribe"].tasks.map((t) => t.info.task_id.value).sort();
      expect(listed).toEqual(["ends.1", "long.1", "unacked.1"]);

      // The unacknowledged head is resent with the same uuid; the ended task is reported.
      await waitFor(() => master.updates.slice(before).find((u) => u.taskId === "unacked.1" && u.uuid === starting.uuid), "the resent update", 60_000);
      const finished = await waitFor(() => master.updates.slice(before).find((u) => u.taskId === "ends.1" && u.state === "TASK_FINISHED"), "TASK_FINISHED of ends.1", 60_000);
      master.autoAck = true;
      master.send({ type: "ACKNOWLEDGE", acknowledge: { framework_id: { value: "fw-r" }, task_id: { value: "unacked.1" }, uuid: starting.uuid } });
      master.send({ type: "ACKNOWLEDGE", acknowledge: { framework_id: { value: "fw-r" }, task_id: { value: "ends.1" }, uuid: finished.uuid } });
      await waitFor(() => master.updates.slice(before).find((u) => u.taskId === "unacked.1" && u.state === "TASK_RUNNING"), "unacked.1 RUNNING after the ack", 60_000);

      // long.1 was neither restarted nor duplicated.
      expect(master.updates.slice(before).filter((u) => u.taskId === "long.1")).toEqual([]);
      expect((await readFile(marks, "utf8")).trim().split("\n")).toEqual(["start"]);

      // And the recovered agent can still kill it.
      master.send({ type: "KILL_TASK", kill_task: { framework_id: { value: "fw-r" }, task_id: { value: "long.1" }, kill_policy: { grace_period: { nanoseconds: 1e8 } } } });
      master.send({ type: "KILL_TASK", kill_task: { framework_id: { value: "fw-r" }, task_id: { value: "unacked.1" }, kill_policy: { grace_period: { nanoseconds: 1e8 } } } });
      await waitFor(() => master.statesOf("long.1").includes("TASK_KILLED") && master.statesOf("unacked.1").includes("TASK_KILLED"), "kills after recovery", 60_000);
      second.child.kill("SIGTERM");
      await second.exited;
    } finally {
      await master.close();
    }
  });
});
