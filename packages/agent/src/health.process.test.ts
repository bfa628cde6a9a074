/**
 * HTTP health checks of a real process task flip both ways: the task serves 200 until a file named
 * `sick` appears in its sandbox, then 500; the agent reports healthy, unhealthy, healthy again.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseResources } from "@caravel/api";
import { ProcessContainerizer } from "./containerizers/process/index.js";
import { FakeMaster, waitFor } from "./testing/fake-master.js";
import { startTestAgent } from "./testing/test-agent.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const SERVER = `exec node -e "require('http').createServer((q,s)=>{s.writeHead(require('fs').existsSync('sick')?500:200);s.end()}).listen(+process.env.PORT0,'127.0.0.1')"`;

describe("health checks of a process task", () => {
  it("reports healthy, unhealthy and healthy again as the task's answers change", { timeout: 120_000 }, async () => {
    const master = await new FakeMaster().start();
    cleanups.push(() => master.close());
    const dir = await mkdtemp(join(tmpdir(), "agent-health-"));
    const containerizer = new ProcessContainerizer({ runDir: join(dir, "containers") });
    const agent = await startTestAgent(master.url, dir, {
      hostname: "h",
      resources: parseResources("cpus:2;mem:2048;ports:[31700-31710]"),
      containerizers: [containerizer],
      defaultGraceMs: 500,
    });
    cleanups.push(async () => {
      await agent.close();
      await containerizer.close();
    });
    await waitFor(() => agent.link.connected, "subscribed");
    const port = 31700 + Math.floor(Math.random() * 10);
    const task = {
      name: "web",
      task_id: { value: "web.1" },
      agent_id: { value: "x" },
      resources: parseResources(`cpus:0.1;mem:64;ports:[${port}-${port}]`),
      command: { value: SERVER, shell: true },
      health_check: { type: "HTTP", http: { port, path: "/" }, delay_seconds: 0, interval_seconds: 0.2, timeout_seconds: 2, consecutive_failures: 1000, grace_period_seconds: 30 },
    };
    master.send({ type: "RUN_TASK", run_task: { framework: { user: "root", name: "hc", id: { value: "fw" }, roles: [], capabilities: [] }, task } });
    const health = () => master.updates.filter((u) => u.reason === "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED").map((u) => u.healthy);
    await waitFor(() => health().includes(true), "healthy", 60_000);
    const record = [...agent.tasks.values()][0]!;
    await writeFile(join(record.sandbox, "sick"), "");
    await waitFor(() => health().includes(false), "unhealthy", 60_000);
    await rm(join(record.sandbox, "sick"));
    await waitFor(() => health().lastIndexOf(true) > health().indexOf(false), "healthy again", 60_000);
    expect(master.statesOf("web.1")).not.toContain("TASK_KILLED");
    master.send({ type: "KILL_TASK", kill_task: { framework_id: { value: "fw" }, task_id: { value: "web.1" } } });
    await waitFor(() => master.statesOf("web.1").includes("TASK_KILLED"), "killed", 60_000);
  });
});
