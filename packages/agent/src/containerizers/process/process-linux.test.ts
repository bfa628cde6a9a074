/**
 * Process-containerizer behaviour beyond the shared contract: cgroup limits and OOM, argv commands,
 * killing a whole process tree, fetching, volumes, usage, and recovery after a real kill -9 of the
 * process that launched the task.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskInfo, type CommandInfo } from "@caravel/api";
import type { Logger } from "@caravel/runtime";
import { waitUntil } from "../contract/containerizer.contract.js";
import type { CheckpointedContainer, LaunchSpec } from "../types.js";
import { Cgroup, cgroupsAvailable } from "./cgroups.js";
import { ProcessContainerizer } from "./process-containerizer.js";

const root = mkdtempSync(join(tmpdir(), "caravel-process-linux-"));
const runDir = join(root, "runs");
let containerizer: ProcessContainerizer;

function spec(command: Partial<CommandInfo> & { value: string }, extra: Partial<LaunchSpec> = {}): LaunchSpec {
  const containerId = `pl-${randomUUID()}`;
  const sandbox = join(root, containerId);
  mkdirSync(sandbox, { recursive: true });
  const task = TaskInfo.parse({ name: "t", task_id: { value: containerId }, agent_id: { value: "a1" }, resources: [], command });
  return {
    containerId,
    agentId: "a1",
    frameworkId: "f1",
    task,
    sandbox,
    env: { MESOS_SANDBOX: sandbox },
    limits: { cpus: 0.5, memMb: 64, diskMb: 0, gpus: 0 },
    ports: [],
    volumes: [],
    ...extra,
  };
}
const out = (s: LaunchSpec, file = "stdout"): string => (existsSync(join(s.sandbox, file)) ? readFileSync(join(s.sandbox, file), "utf8") : "");
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(() => {
  containerizer = new ProcessContainerizer({ runDir, cacheDir: join(root, "cache") });
});
afterAll(async () => {
  await containerizer.close();
});

describe("process containerizer on Linux", () => {
  it("needs root and cgroup v1 for limits (this machine has both)", () => {
    if (!cgroupsAvailable()) throw new Error("cgroup v1 not writable: run the tests as root on a host mounting /sys/fs/cgroup/{memory,cpu,cpuacct,pids}");
  });

  it("writes memory, cpu and pids limits and removes the cgroups on destroy", async () => {
    const s = spec({ value: "echo ready; sleep 300" });
    await containerizer.launch(s);
    const cg = new Cgroup(s.containerId);
    const read = (c: "memory" | "cpu" | "pids", f: string): string => readFileSync(join(cg.path(c), f), "utf8").trim();
    expect(read("memory", "memory.limit_in_bytes")).toBe(String((64 + 32) * 1024 * 1024));
    expect(read("cpu", "cpu.cfs_quota_us")).toBe("50000");
    expect(read("cpu", "cpu.shares")).toBe("512");
    expect(read("pids", "pids.max")).toBe("4096");
    await waitUntil("ready", () => out(s).includes("ready"));
    expect(cg.pids().length).toBeGreaterThanOrEqual(2);
    const usage = await containerizer.usage(s.containerId);
    expect(usage?.memLimitBytes).toBe((64 + 32) * 1024 * 1024);
    expect(usage?.memRssBytes).toBeGreaterThan(0);
    await containerizer.destroy(s.containerId);
    expect(existsSync(cg.path("memory"))).toBe(false);
    expect(existsSync(cg.path("pids"))).toBe(false);
  });

  it("reports an OOM kill as oomKilled with REASON_CONTAINER_LIMITATION_MEMORY", async () => {
    const s = spec({ value: "head -c 200000000 /dev/zero | tail" }, { limits: { cpus: 1, memMb: 16, diskMb: 0, gpus: 0 } });
    await containerizer.launch(s);
    const exit = await containerizer.wait(s.containerId);
    expect(exit).toMatchObject({ oomKilled: true, reason: "REASON_CONTAINER_LIMITATION_MEMORY" });
    expect(exit.message).toMatch(/Memory limit exceeded/);
    await containerizer.destroy(s.containerId);
  });

  it("execs argv commands without a shell (arguments[0] is argv[0])", async () => {
    const s = spec({ shell: false, value: "/bin/echo", arguments: ["echo", "a  b", "$HOME"] });
    await containerizer.launch(s);
    expect((await containerizer.wait(s.containerId)).exitCode).toBe(0);
    expect(out(s)).toBe("a  b $HOME\n");
    await containerizer.destroy(s.containerId);
  });

  it("fails a command that cannot be executed with 127 and says why in stderr", async () => {
    const s = spec({ shell: false, value: "/nonexistent/bin" });
    await containerizer.launch(s);
    expect((await containerizer.wait(s.containerId)).exitCode).toBe(127);
    expect(out(s, "stderr")).toMatch(/Failed to execute '\/nonexistent\/bin'/);
    await containerizer.destroy(s.containerId);
  });

  it("runs the task as command.user with the sandbox handed over, and refuses unknown users", async () => {
    chmodSync(root, 0o755); // the user must be able to reach its sandbox, as under a Mesos work dir
    const s = spec({ value: "id -u; id -ru; id -g; id -G; touch mine; ls -n mine | awk '{print $3}'", user: "nobody" });
    await containerizer.launch(s);
    expect((await containerizer.wait(s.containerId)).exitCode).toBe(0);
    expect(out(s)).toBe("65534\n65534\n65534\n65534\n65534\n");
    const unknown = spec({ value: "true", user: "no-such-user-caravel" });
    await expect(containerizer.launch(unknown)).rejects.toMatchObject({ reason: "REASON_CONTAINER_LAUNCH_FAILED", message: expect.stringMatching(/command.user 'no-such-user-caravel' does not exist/) });
    await containerizer.destroy(s.containerId);
  });

  it("kill reaches the whole process tree", async () => {
    const s = spec({ value: "sleep 300 & echo $! > bg.pid; echo ready; wait" });
    await containerizer.launch(s);
    await waitUntil("ready", () => out(s).includes("ready") && existsSync(join(s.sandbox, "bg.pid")));
    const bg = Number(readFileSync(join(s.sandbox, "bg.pid"), "utf8"));
    expect(alive(bg)).toBe(true);
    await containerizer.kill(s.containerId, 5000);
    await waitUntil("the background child to be gone", () => !alive(bg));
    await containerizer.destroy(s.containerId);
  });

  it("fetches URIs into the sandbox before the task starts and links volumes", async () => {
    const script = join(root, "tool.sh");
    writeFileSync(script, "#!/bin/sh\necho tool-ran\n");
    const hostDir = join(root, "volume");
    mkdirSync(hostDir, { recursive: true });
    writeFileSync(join(hostDir, "data.txt"), "persisted\n");
    const s = spec(
      { value: "./tool && cat data/data.txt", uris: [{ value: `file://${script}`, executable: true, output_file: "tool", extract: true }] },
      { volumes: [{ hostPath: hostDir, containerPath: "data", readOnly: false }] },
    );
    await containerizer.launch(s);
    expect((await containerizer.wait(s.containerId)).exitCode).toBe(0);
    expect(out(s)).toBe("tool-ran\npersisted\n");
    await containerizer.destroy(s.containerId);
  });

  it("a failed fetch rejects the launch with REASON_CONTAINER_LAUNCH_FAILED", async () => {
    const s = spec({ value: "true", uris: [{ value: "/no/such/file.tgz", extract: true }] });
    await expect(containerizer.launch(s)).rejects.toMatchObject({ reason: "REASON_CONTAINER_LAUNCH_FAILED" });
  });

  it("survives a kill -9 of the launching process and is recovered by a new one", async () => {
    const s = spec({ value: "echo ready; while true; do sleep 0.1; done" });
    const source = fileURLToPath(new URL("./process-containerizer.ts", import.meta.url));
    const script = join(root, "launcher.mts");
    writeFileSync(
      script,
      `import { ProcessContainerizer } from ${JSON.stringify(source)};
const c = new ProcessContainerizer({ runDir: ${JSON.stringify(runDir)} });
const cp = await c.launch(${JSON.stringify(s)});
process.stdout.write(JSON.stringify(cp) + "\\n");
setInterval(() => {}, 1000);
`,
    );
    const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", script], { stdio: ["ignore", "pipe", "inherit"], cwd: fileURLToPath(new URL(".", import.meta.url)) });
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
    let exited = false;
    child.once("exit", () => (exited = true));
    await waitUntil("the launcher to print its checkpoint", () => {
      if (exited && !text.includes("\n")) throw new Error("the launcher process died before launching (see its stderr above)");
      return text.includes("\n");
    }, 60_000);
    const checkpoint = JSON.parse(text.trim()) as CheckpointedContainer;
    child.kill("SIGKILL");
    await waitUntil("the launcher to die", () => exited);
    await waitUntil("ready", () => out(s).includes("ready"));
    const pid = checkpoint.handle["pid"] as number;
    expect(alive(pid)).toBe(true);
    const fresh = new ProcessContainerizer({ runDir });
    expect(await fresh.recover([checkpoint])).toEqual([s.containerId]);
    expect(fresh.info(s.containerId).pid).toBe(pid);
    await fresh.kill(s.containerId, 2000);
    expect((await fresh.wait(s.containerId)).signal).toBe("SIGTERM");
    await fresh.destroy(s.containerId);
    await fresh.close();
  });

  it("removes orphans: running tasks no checkpoint knows", async () => {
    const orphanRoot = join(root, `orphans-${randomUUID()}`);
    const launcher = new ProcessContainerizer({ runDir: orphanRoot });
    const kept = spec({ value: "sleep 300" });
    const orphan = spec({ value: "sleep 300" });
    const keptCp = await launcher.launch(kept);
    const orphanCp = await launcher.launch(orphan);
    await launcher.close();
    const fresh = new ProcessContainerizer({ runDir: orphanRoot });
    expect(await fresh.removeOrphans([kept.containerId])).toEqual([orphan.containerId]);
    await waitUntil("the orphan to be gone", () => !alive(orphanCp.handle["pid"] as number) || readFileSync(`/proc/${orphanCp.handle["pid"]}/stat`, "utf8").includes(") Z"));
    expect(await fresh.recover([keptCp])).toEqual([kept.containerId]);
    await fresh.destroy(kept.containerId);
    await fresh.close();
  });

  it("without cgroups runs unconfined, says so once, and measures usage from /proc", async () => {
    const lines: string[] = [];
    const record = (...args: unknown[]): void => void lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    const logger = { warn: record, info: record, debug: record, error: record } as unknown as Logger;
    const plain = new ProcessContainerizer({ runDir: join(root, `plain-${randomUUID()}`), cgroups: false, logger });
    const s = spec({ value: "echo ready; sleep 300" });
    await plain.launch(s);
    await plain.launch(spec({ value: "true" }));
    expect(lines.filter((l) => l.includes("without resource limits"))).toHaveLength(1);
    expect(new Cgroup(s.containerId).exists()).toBe(false);
    const usage = await plain.usage(s.containerId);
    expect(usage?.memRssBytes).toBeGreaterThan(0);
    expect(usage?.memLimitBytes).toBe(64 * 1024 * 1024);
    await plain.destroy(s.containerId);
    await plain.close();
  });

  it("does not mistake a recycled pid for the task (start time differs)", async () => {
    const s = spec({ value: "true" });
    const cp = await containerizer.launch(s);
    await containerizer.wait(s.containerId);
    // Pretend the checkpoint pointed at a live process with another start time, and the exit file is gone.
    const fake: CheckpointedContainer = { ...cp, containerId: `${s.containerId}-x`, handle: { ...cp.handle, pid: process.pid, startTime: 1, runDir: join(root, "nowhere") } };
    const fresh = new ProcessContainerizer({ runDir });
    expect(await fresh.recover([{ ...fake, spec: { ...s, containerId: fake.containerId } }])).toEqual([]);
    expect((await fresh.wait(fake.containerId)).reason).toBe("REASON_EXECUTOR_TERMINATED");
    await fresh.close();
    await containerizer.destroy(s.containerId);
  });
});
