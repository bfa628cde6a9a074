/**
 * A whole local cluster for scenarios: `caravel-launch up --detach` into a fresh CARAVEL_HOME on
 * free ports, torn down (and its home removed) when the test file ends.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { binPath } from "@caravel/testing";

export interface ComponentInfo {
  name: string;
  pid?: number;
  port: number;
  url: string;
  healthUrl: string;
  status: string;
  restarts: number;
  log: string;
}

export interface LocalCluster {
  /** CARAVEL_HOME of this cluster (a temp dir). */
  readonly home: string;
  /** The master's base URL. */
  readonly masterUrl: string;
  /** Base URL of a component by instance name ("master", "agent-1", "marathon" …). */
  url(name: string): string;
  /** The supervisor's current view (launcher.json). */
  components(): ComponentInfo[];
  /** The log file of a component, as text. */
  log(name: string): string;
  /** Runs another caravel-launch command against this cluster, e.g. ["status"]. */
  launch(args: string[]): Promise<LaunchResult>;
  /** Stops the cluster (also done automatically after the test file). */
  down(): Promise<void>;
}

export interface LaunchResult {
  code: number;
  out: string;
  err: string;
}

export interface ClusterOptions {
  agents?: number;
  publicAgents?: number;
  /** e.g. "sim" or "mesos" (default: what the launcher detects). */
  containerizers?: string;
  /** Components to start (e.g. ["master", "agent"]); default: every built one. */
  only?: string[];
  /** Extra caravel-launch flags. */
  flags?: string[];
  /** Keep the home directory after the tests (for debugging). */
  keepHome?: boolean;
}

function runLauncher(args: string[]): Promise<LaunchResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [binPath("launcher"), ...args], { timeout: 300_000, maxBuffer: 16 << 20 }, (error, out, err) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out, err }),
    );
  });
}

/** Starts a local cluster and registers its teardown; throws with the launcher's output if it fails. */
export async function startLocalCluster(options: ClusterOptions = {}): Promise<LocalCluster> {
  const home = mkdtempSync(join(tmpdir(), "caravel-e2e-"));
  const flags = [
    "--home", home,
    "--random_ports",
    "--agents", String(options.agents ?? 1),
    "--public_agents", String(options.publicAgents ?? 0),
    ...(options.containerizers ? ["--containerizers", options.containerizers] : []),
    ...(options.only ? ["--only", options.only.join(",")] : []),
    ...(options.flags ?? []),
  ];
  let stopped = false;
  const down = async () => {
    if (stopped) return;
    stopped = true;
    const result = await runLauncher(["down", "--home", home]);
    if (result.code !== 0) throw new Error(`caravel-launch down failed (${result.code}): ${result.err}`);
    if (!options.keepHome) rmSync(home, { recursive: true, force: true });
  };
  afterAll(down, 240_000);
  const started = await runLauncher(["up", "--detach", ...flags]);
  if (started.code !== 0) {
    await down().catch(() => undefined);
    throw new Error(`caravel-launch up failed (${started.code}):\n${started.out}\n${started.err}`);
  }
  const components = (): ComponentInfo[] =>
    (JSON.parse(readFileSync(join(home, "local", "launcher.json"), "utf8")) as { components: ComponentInfo[] }).components;
  const url = (name: string): string => {
    const c = components().find((x) => x.name === name);
    if (!c) throw new Error(`no component ${name} in this cluster; it has ${components().map((x) => x.name).join(", ")}`);
    return c.url;
  };
  return {
    home,
    masterUrl: url("master"),
    url,
    components,
    log: (name) => readFileSync(join(home, "local", "logs", `${name}.log`), "utf8"),
    launch: (args) => runLauncher([...args, "--home", home]),
    down,
  };
}
