import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TaskInfo } from "@caravel/api";
import type { LaunchSpec } from "../types.js";
import { SimContainerizer } from "./index.js";
import { simExec, simScript } from "./script.js";

const root = mkdtempSync(join(tmpdir(), "caravel-sim-rec-"));
let n = 0;
function spec(labels: Record<string, string>): LaunchSpec {
  const containerId = `sim-${n++}`;
  const task = TaskInfo.parse({ name: "t", task_id: { value: containerId }, agent_id: { value: "a" }, resources: [], labels: { labels: Object.entries(labels).map(([key, value]) => ({ key, value })) } });
  return { containerId, agentId: "a", frameworkId: "f", task, sandbox: join(root, containerId), env: {}, limits: { cpus: 0.1, memMb: 32, diskMb: 0, gpus: 0 }, ports: [], volumes: [] };
}

describe("sim containerizer across a restart", () => {
  it("reattaches to running tasks, reports those whose scripted end passed, and times the rest from their start", async () => {
    let now = 1_000_000;
    const clock = () => now;
    const first = new SimContainerizer({ now: clock });
    const short = await first.launch(spec({ CARAVEL_SIM_RUN_MS: "500", CARAVEL_SIM_EXIT_CODE: "2" }));
    const long = await first.launch(spec({ CARAVEL_SIM_RUN_MS: "60000" }));
    const forever = await first.launch(spec({}));
    await first.close();
    now += 1000; // the agent was down for a second: `short` ended meanwhile
    const second = new SimContainerizer({ now: clock });
    const running = await second.recover([short, long, forever]);
    expect(running.sort()).toEqual([long.containerId, forever.containerId].sort());
    expect(await second.wait(short.containerId)).toEqual({ exitCode: 2 });
    expect(second.healthy(long.containerId)).toBe(true);
    await second.close();
  });

  it("remembers kills in its state dir, and forgets those no longer asked about", async () => {
    const stateDir = join(root, "state");
    const first = new SimContainerizer({ stateDir });
    const a = await first.launch(spec({ CARAVEL_SIM_TERM_EXIT_CODE: "9" }));
    await first.kill(a.containerId, 1000);
    await first.close();
    const second = new SimContainerizer({ stateDir });
    expect(await second.recover([a])).toEqual([]);
    expect(await second.wait(a.containerId)).toEqual({ exitCode: 9 });
    const third = new SimContainerizer({ stateDir });
    expect(await third.recover([])).toEqual([]);
    expect(await new SimContainerizer({ stateDir }).recover([a])).toEqual([a.containerId]);
  });

  it("reports a checkpoint without a start time as lost across the restart", async () => {
    const s = spec({});
    const c = new SimContainerizer();
    expect(await c.recover([{ containerId: s.containerId, containerizer: "sim", handle: {}, spec: s }])).toEqual([]);
    expect((await c.wait(s.containerId)).reason).toBe("REASON_AGENT_RESTARTED");
  });
});

describe("sim scripts", () => {
  it("names the bad setting", () => {
    expect(() => simScript(spec({ CARAVEL_SIM_IGNORE_TERM: "maybe" }).task)).toThrow(/CARAVEL_SIM_IGNORE_TERM="maybe"/);
    expect(() => simScript(spec({ CARAVEL_SIM_EXIT_ON_FILE: "../x" }).task)).toThrow(/inside the sandbox/);
    expect(() => simScript(spec({ CARAVEL_SIM_RUN_MS: "-1" }).task)).toThrow(/CARAVEL_SIM_RUN_MS/);
  });

  it("execs `exit N` as scripted and anything else as the simulated health", () => {
    expect(simExec("echo hi; exit 0", false)).toEqual({ exitCode: 0, output: "hi\n" });
    expect(simExec("exit 4", true)).toEqual({ exitCode: 4, output: "" });
    expect(simExec("curl -f localhost", true).exitCode).toBe(0);
    expect(simExec("curl -f localhost", false).exitCode).toBe(1);
  });
});
