/**
 * The contract every Containerizer keeps, as one vitest suite run against each implementation
 * (process.test.ts, docker.test.ts, sim.test.ts). Tasks are small POSIX shell scripts; an
 * implementation that cannot run a shell (sim) rewrites each scenario's spec with `adapt` (or passes
 * `commands` it understands) and sets `writesOutput: false`.
 *
 * "Restart" is simulated by closing an instance and building a new one with `factory()` over the
 * same state (run directories, Docker engine), which is what a restarted agent does.
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { TaskInfo, type ContainerInfo } from "@caravel/api";
import type { CheckpointedContainer, Containerizer, LaunchSpec } from "../types.js";

/** The shell scripts of each scenario; override them for implementations that script behaviour. */
export const CONTRACT_COMMANDS = {
  echo: "echo hello-contract",
  fail: "echo oops >&2; exit 3",
  trapExit: "trap 'echo got-term; exit 7' TERM; echo ready; while true; do sleep 0.1; done",
  trapIgnore: "trap 'echo term-ignored' TERM; echo ready; while true; do sleep 0.1; done",
  env: 'echo "sandbox=$MESOS_SANDBOX port=$PORT0 foo=$FOO"; test -f "$MESOS_SANDBOX/stdout" && echo has-stdout',
  longRunning: "echo ready; while true; do sleep 0.1; done",
  waitForGo: "echo ready; while [ ! -f go ]; do sleep 0.1; done; echo done; touch finished; exit 5",
  execOk: "test -f stdout && echo in-sandbox-$FOO",
  execFail: "exit 4",
};

export interface ContractOptions {
  /** ContainerInfo put on every contract task (e.g. a DOCKER one with local/busybox:1). */
  container?: ContainerInfo;
  agentId?: string;
  /** Directory under which sandboxes are made (default: a temp dir). */
  workDir?: string;
  /** Extra clean-up after each test (e.g. remove Docker containers by label). */
  cleanup?: () => Promise<void>;
  commands?: Partial<typeof CONTRACT_COMMANDS>;
  /** Generous upper bound for conditions to come true (default 30 s). */
  timeoutMs?: number;
  /**
   * Rewrites each scenario's LaunchSpec, e.g. for the sim to turn "fail" into
   * CARAVEL_SIM_EXIT_CODE=3. Scenario names are the keys of CONTRACT_COMMANDS.
   */
  adapt?: (scenario: Scenario, spec: LaunchSpec) => LaunchSpec;
  /**
   * False for implementations that run no real process and write no stdout/stderr (sim): the
   * output and sandbox-file checks are then not made; exit codes, kills, exec, recovery and
   * destroy still are.
   */
  writesOutput?: boolean;
}

export type Scenario = keyof typeof CONTRACT_COMMANDS;

/** Polls `check` until it returns true; fails with `what` after the timeout. */
export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const readOr = (path: string): string => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
};

export function runContainerizerContract(
  name: string,
  factory: () => Containerizer | Promise<Containerizer>,
  options: ContractOptions = {},
): void {
  const commands = { ...CONTRACT_COMMANDS, ...options.commands };
  const timeout = options.timeoutMs ?? 30_000;
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), `caravel-contract-${name}-`));
  const agentId = options.agentId ?? `contract-agent-${randomUUID().slice(0, 8)}`;
  const live = new Set<Containerizer>();
  const launched = new Set<string>();

  const make = async (): Promise<Containerizer> => {
    const c = await factory();
    live.add(c);
    return c;
  };

  const spec = (command: string, env: Record<string, string> = {}): LaunchSpec => {
    const containerId = `ct-${randomUUID()}`;
    const sandbox = join(workDir, containerId);
    mkdirSync(sandbox, { recursive: true });
    const task = TaskInfo.parse({
      name: "contract",
      task_id: { value: `task-${containerId}` },
      agent_id: { value: agentId },
      resources: [],
      command: { value: command },
      container: options.container,
    });
    return {
      containerId,
      agentId,
      frameworkId: "contract-framework",
      task,
      sandbox,
      env: { MESOS_SANDBOX: sandbox, MESOS_TASK_ID: task.task_id.value, PORT0: "31555", PORTS: "31555", FOO: "bar", ...env },
      limits: { cpus: 0.1, memMb: 64, diskMb: 0, gpus: 0 },
      ports: [31555],
      volumes: [],
    };
  };

  const real = options.writesOutput !== false;
  const launch = async (c: Containerizer, scenario: Scenario): Promise<{ s: LaunchSpec; cp: CheckpointedContainer }> => {
    const base = spec(commands[scenario]);
    const s = options.adapt ? options.adapt(scenario, base) : base;
    launched.add(s.containerId);
    const cp = await c.launch(s);
    return { s, cp };
  };

  const stdout = (s: LaunchSpec): string => readOr(join(s.sandbox, "stdout"));
  const stderr = (s: LaunchSpec): string => readOr(join(s.sandbox, "stderr"));
  /** Waits until the file holds `text`; a no-op for implementations that write no output. */
  const output = async (s: LaunchSpec, text: string, what: string, file: "stdout" | "stderr" = "stdout"): Promise<void> => {
    if (real) await waitUntil(what, () => (file === "stdout" ? stdout(s) : stderr(s)).includes(text), timeout);
  };

  describe(`containerizer contract: ${name}`, () => {
    afterEach(async () => {
      for (const c of live) {
        for (const id of launched) await c.destroy(id).catch(() => undefined);
      }
      for (const c of live) await c.close();
      live.clear();
      launched.clear();
      await options.cleanup?.();
    });
    afterAll(async () => {
      await options.cleanup?.();
    });

    it("runs a command to exit 0 with its stdout in the sandbox", async () => {
      const c = await make();
      const { s, cp } = await launch(c, "echo");
      expect(cp.containerId).toBe(s.containerId);
      expect(cp.containerizer).toBe(c.name);
      const exit = await c.wait(s.containerId);
      expect(exit.exitCode).toBe(0);
      await output(s, "hello-contract", "stdout to hold the output");
      expect(await c.wait(s.containerId)).toEqual(exit);
    });

    it("reports a non-zero exit code and stderr", async () => {
      const c = await make();
      const { s } = await launch(c, "fail");
      const exit = await c.wait(s.containerId);
      expect(exit.exitCode).toBe(3);
      expect(exit.oomKilled ?? false).toBe(false);
      await output(s, "oops", "stderr to hold the output", "stderr");
    });

    it("kill: a task that handles SIGTERM exits within the grace period", async () => {
      const c = await make();
      const { s } = await launch(c, "trapExit");
      await output(s, "ready", "the task to be ready");
      await c.kill(s.containerId, 20_000);
      const exit = await c.wait(s.containerId);
      expect(exit.exitCode).toBe(7);
      await output(s, "got-term", "the trap's output");
    });

    it("kill: a task that ignores SIGTERM gets SIGKILL after the grace period", async () => {
      const c = await make();
      const { s } = await launch(c, "trapIgnore");
      await output(s, "ready", "the task to be ready");
      await c.kill(s.containerId, 4000);
      const exit = await c.wait(s.containerId);
      expect(exit.signal === "SIGKILL" || exit.exitCode === 137).toBe(true);
      await output(s, "term-ignored", "the task to have seen SIGTERM");
      await c.kill(s.containerId, 4000); // idempotent on an ended container
    });

    it("gives the task its environment (MESOS_SANDBOX, PORT0, CommandInfo's)", async () => {
      const c = await make();
      const { s } = await launch(c, "env");
      expect((await c.wait(s.containerId)).exitCode).toBe(0);
      await output(s, "has-stdout", "the env line");
      if (real) expect(stdout(s)).toMatch(/sandbox=\S+ port=31555 foo=bar/);
    });

    it("exec runs a command inside the container", async () => {
      const c = await make();
      const { s } = await launch(c, "longRunning");
      await output(s, "ready", "the task to be ready");
      const ok = await c.exec(s.containerId, { uris: [], shell: true, value: commands.execOk, arguments: [] }, 20_000);
      expect(ok).toMatchObject({ exitCode: 0 });
      if (real) expect(ok.output).toContain("in-sandbox-bar");
      const bad = await c.exec(s.containerId, { uris: [], shell: true, value: commands.execFail, arguments: [] }, 20_000);
      expect(bad.exitCode).toBe(4);
      await c.kill(s.containerId, 1000);
    });

    it("recover: a new instance reattaches to a running container and sees its later exit", async () => {
      const first = await make();
      const { s, cp } = await launch(first, "waitForGo");
      await output(s, "ready", "the task to be ready");
      await first.close();
      const second = await make();
      expect(await second.recover([cp])).toEqual([s.containerId]);
      writeFileSync(join(s.sandbox, "go"), "");
      const exit = await second.wait(s.containerId);
      expect(exit.exitCode).toBe(5);
      expect(second.info(s.containerId)).toBeTypeOf("object");
    });

    it("recover: a container that ended while no instance watched reports its exit", async () => {
      const first = await make();
      const { s, cp } = await launch(first, "waitForGo");
      await output(s, "ready", "the task to be ready");
      await first.close();
      writeFileSync(join(s.sandbox, "go"), "");
      // The sandbox file, not stdout: nobody copies a Docker container's output while no instance runs.
      if (real) await waitUntil("the task to finish", () => existsSync(join(s.sandbox, "finished")), timeout);
      const second = await make();
      const running = await second.recover([cp]);
      expect(running.length).toBeLessThanOrEqual(1);
      expect((await second.wait(s.containerId)).exitCode).toBe(5);
      await output(s, "done", "the output written while no instance watched");
    });

    it("recover: a new instance can kill a reattached container", async () => {
      const first = await make();
      const { s, cp } = await launch(first, "longRunning");
      await output(s, "ready", "the task to be ready");
      await first.close();
      const second = await make();
      expect(await second.recover([cp])).toEqual([s.containerId]);
      await second.kill(s.containerId, 5000);
      const exit = await second.wait(s.containerId);
      expect(exit.exitCode === 0 ? "clean" : "killed").toBe("killed");
    });

    it("destroy is idempotent", async () => {
      const c = await make();
      const { s } = await launch(c, "echo");
      await c.wait(s.containerId);
      await c.destroy(s.containerId);
      await c.destroy(s.containerId);
      await c.destroy("never-launched");
    });
  });
}
