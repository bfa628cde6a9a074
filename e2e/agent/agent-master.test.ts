/**
 * The real caravel-agent against the real caravel-master (both as processes, from sources): a
 * scheduler gets offers from the agent, launches a process task, sees it RUNNING, acknowledges, and
 * kills it; the master is kill -9'd and restarted and learns the running task again from the agent's
 * re-registration.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { subscribeScheduler, type Event } from "@caravel/api";

const REPO = join(import.meta.dirname, "..", "..");
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
});

function start(pkg: string, args: string[]): { child: ChildProcess; out: () => string } {
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", join(REPO, "packages", pkg, "src", "main.ts"), ...args], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  children.push(child);
  return { child, out: () => out };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000, context = () => ""): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await Promise.resolve(check()).catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${context()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("caravel-agent with caravel-master", () => {
  it("runs, reports and kills a process task, and survives a master restart", { timeout: 240_000 }, async () => {
    const masterPort = await freePort();
    const masterDir = mkdtempSync(join(tmpdir(), "e2e-master-"));
    const agentDir = mkdtempSync(join(tmpdir(), "e2e-agent-"));
    const masterArgs = ["--port", String(masterPort), "--work_dir", masterDir, "--log_level", "warn", "--agent_ping_timeout", "2"];
    let master = start("master", masterArgs);
    const masterUrl = `http://127.0.0.1:${masterPort}`;
    await until("master health", async () => (await fetch(`${masterUrl}/health`)).ok, 60_000, master.out);
    const agent = start("agent", ["--master", `127.0.0.1:${masterPort}`, "--port", "0", "--work_dir", agentDir, "--containerizers", "mesos", "--resources", "cpus:2;mem:2048;disk:1024;ports:[31000-31100]", "--attributes", "rack:r1", "--registration_backoff_factor", "0.1", "--log_level", "warn"]);
    const slaves = async () => ((await (await fetch(`${masterUrl}/master/slaves`)).json()) as { slaves: Array<{ id: string; hostname: string; attributes: Record<string, unknown> }> }).slaves;
    const registered = await until("the agent to register", async () => (await slaves())[0], 60_000, () => master.out() + agent.out());
    expect(registered.attributes).toMatchObject({ rack: "r1" });

    const sub = await subscribeScheduler(masterUrl, { frameworkInfo: { user: "root", name: "e2e-agent", checkpoint: true, failover_timeout: 600 } });
    const events: Event[] = [];
    // Acknowledge every update as it comes: the agent forwards the next one only after that.
    const consume = async (s: typeof sub, into: Event[]) => {
      for await (const e of s.events) {
        into.push(e);
        const st = e.type === "UPDATE" ? e.update!.status : undefined;
        if (st?.uuid && st.agent_id) await s.call({ type: "ACKNOWLEDGE", acknowledge: { agent_id: st.agent_id, task_id: st.task_id, uuid: st.uuid } } as never).catch(() => undefined);
      }
    };
    void consume(sub, events).catch(() => undefined);
    const offer = await until("an offer", () => events.find((e) => e.type === "OFFERS")?.offers?.offers[0], 60_000);
    const taskId = "e2e.sleeper";
    await sub.call({
      type: "ACCEPT",
      accept: {
        offer_ids: [offer.id],
        operations: [
          {
            type: "LAUNCH",
            launch: {
              task_infos: [
                {
                  name: "sleeper",
                  task_id: { value: taskId },
                  agent_id: offer.agent_id,
                  resources: [
                    { name: "cpus", type: "SCALAR", scalar: { value: 0.1 }, role: "*", reservations: [] },
                    { name: "mem", type: "SCALAR", scalar: { value: 32 }, role: "*", reservations: [] },
                  ],
                  command: { value: "exec sleep 600", shell: true, uris: [], arguments: [] },
                },
              ],
            },
          },
        ],
        filters: { refuse_seconds: 5 },
      },
    } as never);
    const updates = () => events.filter((e) => e.type === "UPDATE").map((e) => e.update!.status);
    const running = await until("TASK_RUNNING at the scheduler", () => updates().find((s) => s.state === "TASK_RUNNING"), 60_000, () => JSON.stringify(events.map((e) => e.type)) + JSON.stringify(updates()) + agent.out() + master.out());
    expect(running.executor_id?.value).toBe(taskId);
    expect(running.container_status?.network_infos[0]?.ip_addresses[0]?.ip_address).toBe("127.0.0.1");

    // kill -9 the master and start it again: the agent re-registers with its running task.
    master.child.kill("SIGKILL");
    master = start("master", masterArgs);
    await until("master health after restart", async () => (await fetch(`${masterUrl}/health`)).ok, 60_000, master.out);
    const tasksAfter = async () =>
      ((await (await fetch(`${masterUrl}/master/tasks`)).json()) as { tasks: Array<{ id: string; state: string }> }).tasks;
    const known = await until("the restarted master to know the task", async () => (await tasksAfter()).find((t) => t.id === taskId), 90_000, () => master.out() + agent.out());
    expect(known.state).toBe("TASK_RUNNING");
    sub.close();

    // A new scheduler subscription with the same framework id can still kill it through the agent.
    const again = await subscribeScheduler(masterUrl, { frameworkInfo: { user: "root", name: "e2e-agent", checkpoint: true, failover_timeout: 600, id: { value: sub.frameworkId } } });
    const events2: Event[] = [];
    void consume(again, events2).catch(() => undefined);
    await again.call({ type: "KILL", kill: { task_id: { value: taskId }, agent_id: offer.agent_id } } as never);
    await until("TASK_KILLED", () => events2.find((e) => e.type === "UPDATE" && e.update!.status.state === "TASK_KILLED"), 60_000, () => agent.out());
    again.close();
  });
});
