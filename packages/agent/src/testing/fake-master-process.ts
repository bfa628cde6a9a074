/**
 * A FakeMaster in its own process, for benchmarks: the master's work (parsing every UPDATE, sending
 * RUN_TASKs and ACKNOWLEDGEs) runs on the other core, as a real master's would, instead of sharing
 * the agent's event loop. Start it with an IPC channel (`fork`, or spawn with stdio "ipc").
 *
 * Messages in: `{ type: "run", framework, tasks }` sends one RUN_TASK per task at once. Messages out:
 * `{ type: "ready", url }` once listening; `{ type: "running", ms, n, cpuMs }` once every task of the last
 * "run" was reported TASK_RUNNING (as the update's state or its latest_state), or the `until` state, `ms` counted from the
 * first RUN_TASK written.
 */
import { FakeMaster } from "./fake-master.js";

interface RunMessage {
  type: "run";
  framework: Record<string, unknown>;
  tasks: Array<Record<string, unknown> & { task_id: { value: string } }>;
  /** The state to wait for (default TASK_RUNNING, also counted from `latest_state`). */
  until?: string;
}

const send = process.send?.bind(process);
if (!send) throw new Error("fake-master-process.ts needs an IPC channel: start it with child_process.fork");

const master = await new FakeMaster().start();
process.on("message", (msg: RunMessage | { type: "close" }) => {
  if (msg.type === "close") {
    void master.close().then(() => process.exit(0));
    return;
  }
  const waiting = new Set(msg.tasks.map((t) => t.task_id.value));
  const n = waiting.size;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  master.onUpdate = (u) => {
    const until = msg.until ?? "TASK_RUNNING";
    if ((u.state === until || (until === "TASK_RUNNING" && u.latestState === until)) && waiting.delete(u.taskId) && waiting.size === 0) {
      const cpu = process.cpuUsage(cpu0);
      send({ type: "running", ms: performance.now() - start, n, cpuMs: (cpu.user + cpu.system) / 1000 });
    }
  };
  master.updates.length = 0;
  for (const task of msg.tasks) master.send({ type: "RUN_TASK", run_task: { framework: msg.framework, task } });
});
send({ type: "ready", url: master.url });
