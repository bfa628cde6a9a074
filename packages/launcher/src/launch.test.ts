/**
 * caravel-launch end to end with real processes: a stand-in component (fixtures/dummy-server.mjs)
 * plays master and agents, so that supervision is tested whatever the state of the real ones.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { binPath, startProcess, waitFor, type ProcessHandle } from "@caravel/testing";
import { isAlive, readState, type LauncherState } from "./state.js";

const dummy = resolve(import.meta.dirname, "../fixtures/dummy-server.mjs");
const homes: string[] = [];

function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [binPath("launcher"), ...args], { timeout: 120_000 }, (error, out, err) =>
      done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out, err }),
    );
  });
}

function makeHome(components: unknown[]): { home: string; file: string } {
  const home = mkdtempSync(join(tmpdir(), "caravel-launch-"));
  homes.push(home);
  const file = join(home, "components.json");
  writeFileSync(file, JSON.stringify(components));
  return { home, file };
}

const cluster = [
  { name: "master", bin: dummy, port: 5050, args: ["--name", "{name}", "--port", "{port}", "--work_dir", "{work_dir}"] },
  {
    name: "agent",
    bin: dummy,
    port: 5051,
    instances: 2,
    agent: true,
    after: ["master"],
    args: ["--name", "{name}", "--port", "{port}", "--work_dir", "{work_dir}", "--master", "{url:master}", "--resources", "{resources}"],
  },
];

const state = (home: string): LauncherState => {
  const s = readState(home);
  if (!s) throw new Error(`no launcher.json under ${home}`);
  return s;
};
const pidOf = (home: string, name: string) => state(home).components.find((c) => c.name === name)?.pid;

afterAll(async () => {
  // Whatever a failed test left running goes down with its home.
  await Promise.all(
    homes.map(async (home) => {
      await run(["down", "--home", home]);
      rmSync(home, { recursive: true, force: true });
    }),
  );
}, 240_000);

describe("caravel-launch", () => {
  it("up --detach, status, restart after kill -9, a second up, down", { timeout: 240_000 }, async () => {
    const { home, file } = makeHome(cluster);
    const flags = ["--home", home, "--components_file", file, "--random_ports"];

    const started = await run(["up", "--detach", ...flags]);
    expect(started.err).toBe("");
    expect(started.code).toBe(0);
    expect(started.out).toMatch(/master\s+http:\/\/127\.0\.0\.1:\d+\s+\d+\s+healthy/);
    expect(started.out).toMatch(/agent-2\s+http/);

    const s = state(home);
    expect(s.phase).toBe("ready");
    expect(readFileSync(join(home, "local", "launcher.pid"), "utf8").trim()).toBe(String(s.pid));
    // Each agent got its own work dir, the master's URL and a disjoint share with its own ports.
    const flags1 = JSON.parse(readFileSync(join(home, "local", "agent-1", "flags.json"), "utf8"));
    const flags2 = JSON.parse(readFileSync(join(home, "local", "agent-2", "flags.json"), "utf8"));
    expect(flags1.master).toBe(s.components[0]!.url);
    expect(flags1.resources).toMatch(/^cpus:[\d.]+;mem:\d+;disk:\d+;ports:\[31000-31499\]$/);
    expect(flags2.resources).toMatch(/ports:\[31500-32000\]$/);
    expect(readFileSync(join(home, "local", "logs", "master.log"), "utf8")).toMatch(/listening on/);

    const status = await run(["status", "--home", home]);
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/agent-1\s+\d+\s+\d+\s+healthy\s+0/);

    const victim = pidOf(home, "agent-1")!;
    process.kill(victim, "SIGKILL");
    const restarted = await waitFor(
      () => {
        const c = state(home).components.find((x) => x.name === "agent-1")!;
        return c.status === "healthy" && c.pid !== victim && c.restarts === 1 ? c : undefined;
      },
      { timeoutMs: 60_000, message: "agent-1 to be restarted and healthy" },
    );
    expect((await fetch(restarted.healthUrl)).status).toBe(200);

    const again = await run(["up", ...flags]);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/already running .*supervisor pid \d+/);
    expect(again.out).toContain(restarted.url);

    const pids = [s.pid, ...state(home).components.map((c) => c.pid!)];
    const stopped = await run(["down", "--home", home]);
    expect(stopped.code).toBe(0);
    expect(stopped.out).toMatch(/stopped the local cluster/);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(state(home).phase).toBe("stopped");
    expect((await run(["status", "--home", home])).code).toBe(3);
    expect((await run(["down", "--home", home])).out).toMatch(/no caravel-launch is running/);
  });

  it("runs in the foreground and stops everything on SIGTERM", { timeout: 240_000 }, async () => {
    const { home, file } = makeHome(cluster);
    const launcher: ProcessHandle = await startProcess({
      name: "caravel-launch",
      command: process.execPath,
      args: [binPath("launcher"), "up", "--home", home, "--components_file", file, "--random_ports", "--agents", "1"],
      readyLine: "logs:",
    });
    expect(launcher.logs().join("\n")).toMatch(/agent-1\s+http:\/\/127\.0\.0\.1:\d+\s+\d+\s+healthy/);
    const pids = state(home).components.map((c) => c.pid!);
    expect(pids.every(isAlive)).toBe(true);
    launcher.kill("SIGTERM");
    const exit = await launcher.wait();
    expect(exit.code).toBe(0);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(readFileSync(join(home, "local", "logs", "agent-1.log"), "utf8")).toMatch(/SIGTERM, bye/);
  });

  it("fails up with the crashing component's log, leaving nothing behind", { timeout: 240_000 }, async () => {
    const { home, file } = makeHome([
      cluster[0],
      { ...cluster[1], instances: 1, args: ["--port", "{port}", "--exit_code", "7"] },
    ]);
    const result = await run(["up", "--detach", "--home", home, "--components_file", file, "--random_ports"]);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/agent-1 exited with code 7 3 times before it answered its health check/);
    expect(result.err).toMatch(/dummy: exiting with 7 as asked/);
    await waitFor(() => !isAlive(state(home).pid), { message: "the supervisor to exit" });
    expect(state(home).components.map((c) => c.pid).filter(isAlive)).toEqual([]);
  });

  it("cleans up after a supervisor killed with -9", { timeout: 240_000 }, async () => {
    const { home, file } = makeHome(cluster);
    const flags = ["--home", home, "--components_file", file, "--random_ports"];
    expect((await run(["up", "--detach", ...flags])).code).toBe(0);
    const first = state(home);
    process.kill(first.pid, "SIGKILL");
    await waitFor(() => !isAlive(first.pid), { message: "the supervisor to die" });
    const orphans = first.components.map((c) => c.pid!);
    expect(orphans.every(isAlive)).toBe(true);

    const second = await run(["up", "--detach", ...flags]);
    expect(second.code).toBe(0);
    expect(second.err).toMatch(/stopped 3 processes left over from a previous run/);
    await waitFor(() => orphans.every((pid) => !isAlive(pid)), { message: "the orphans to be gone" });
    expect(state(home).pid).not.toBe(first.pid);

    const pids = [state(home).pid, ...state(home).components.map((c) => c.pid!)];
    process.kill(pids[0]!, "SIGKILL");
    await waitFor(() => !isAlive(pids[0]), { message: "the second supervisor to die" });
    expect((await run(["down", "--home", home])).out).toMatch(/killed 3 leftover processes/);
    await waitFor(() => pids.every((pid) => !isAlive(pid)), { message: "every process to be gone" });
  });

  it("kills and restarts a process that stops answering its health check", { timeout: 240_000 }, async () => {
    const { home, file } = makeHome([{ ...cluster[0], args: [...cluster[0]!.args, "--unhealthy_after_ms", "1500"] }]);
    const flags = ["--home", home, "--components_file", file, "--random_ports", "--health_interval", "0.2", "--max_health_failures", "3"];
    expect((await run(["up", "--detach", ...flags])).code).toBe(0);
    const first = pidOf(home, "master");
    await waitFor(() => state(home).components[0]!.restarts >= 1, { timeoutMs: 60_000, message: "the hung master to be restarted" });
    expect(readFileSync(join(home, "local", "logs", "master.log"), "utf8")).toMatch(/failed 3 health checks in a row; killing it/);
    expect(isAlive(first)).toBe(false);
    expect((await run(["down", "--home", home])).code).toBe(0);
  });

  it("rejects bad flags and files with a message naming them", { timeout: 240_000 }, async () => {
    const bad = await run(["up", "--agents", "-1"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--agents/);
    const { home, file } = makeHome([{ name: "Master", bin: dummy }]);
    const badFile = await run(["up", "--home", home, "--components_file", file]);
    expect(badFile.code).toBe(2);
    expect(badFile.err).toMatch(/components_file .*name/);
    expect((await run(["frob"])).err).toMatch(/unknown command "frob"/);
  });

  it("refuses to start when a port it needs is taken, naming the port and the fix", { timeout: 240_000 }, async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const { home, file } = makeHome([{ ...cluster[0], port }]);
      const result = await run(["up", "--home", home, "--components_file", file]);
      expect(result.code).toBe(2);
      expect(result.err).toContain(`port(s) ${port} on 127.0.0.1 are in use (needed by master)`);
      expect(result.err).toMatch(/--random_ports/);
    } finally {
      blocker.close();
    }
  });
});
