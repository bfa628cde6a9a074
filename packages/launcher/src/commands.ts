/** The `up`, `down` and `status` commands. Each returns the process exit code. */
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createLogger } from "@caravel/runtime";
import { COMPONENTS, type ComponentSpec } from "./components.js";
import type { LaunchConfig } from "./config.js";
import { loadComponentsFile } from "./custom.js";
import { probe } from "./health.js";
import { detectContainerizers, machineResources } from "./machine.js";
import { planCluster, portKeys, type Plan } from "./plan.js";
import { prepareServiceAccounts } from "./service-accounts.js";
import { endpointsText, statusText } from "./report.js";
import { acquirePidFile, isAlive, launcherLog, readState, releasePidFile, runningSupervisor, type LauncherState } from "./state.js";
import { Supervisor } from "./supervisor.js";
import { busyPorts, freePorts } from "./ports.js";

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** packages/launcher/{src,dist}/ → the repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One machine's share of a multi-machine cluster, as DC/OS splits it: masters run the control plane
 * (and the services that follow the leading master); every machine resolves names and balances VIPs.
 */
const ROLE_COMPONENTS: Record<NonNullable<LaunchConfig["role"]>, string> = {
  master: "master,marathon,dns,l4lb,universe,admin-router",
  agent: "agent,dns,l4lb",
  "public-agent": "public-agent,dns,l4lb",
};

/** The dedicated DNS address, when this cluster runs caravel-dns as root on fixed ports (never in tests' random-port clusters). */
function dnsIp(config: LaunchConfig, only: string | undefined): string | undefined {
  const runsDns = only === undefined || only.split(",").map((s) => s.trim()).includes("dns");
  const root = process.getuid?.() === 0;
  return config.dns_ip && runsDns && root && !config.random_ports && existsSync(join(repoRoot, "packages/dns/dist/main.js")) ? config.dns_ip : undefined;
}

/** What buildPlan did about service accounts, for the start-up line. */
let accountsNote: string | undefined;

async function buildPlan(config: LaunchConfig, home: string): Promise<Plan> {
  let components: ComponentSpec[] = config.components_file ? loadComponentsFile(config.components_file) : COMPONENTS;
  const agentBin = join(repoRoot, "packages/agent/dist/main.js");
  const role = config.role;
  if (role && !config.zk) throw new Error(`start --role ${role} needs --zk zk://h1:2181,h2:2181,h3:2181/mesos (the ensemble the masters elect through)`);
  const shape = role
    ? { agents: role === "agent" ? 1 : 0, publicAgents: role === "public-agent" ? 1 : 0 }
    : { agents: config.agents, publicAgents: config.public_agents, ha: config.ha };
  const zk = role ? config.zk : undefined;
  const split = (flags: string) => flags.split(/\s+/).filter(Boolean);
  const only = role ? ROLE_COMPONENTS[role] : config.only;
  if (config.iam && !role) throw new Error("--iam is for start --role … --zk …: a local cluster (up) binds loopback, where calls need no token");
  if (role && config.zk && (config.iam ?? true)) {
    const names = new Set(only!.split(","));
    if (names.has("admin-router") && !existsSync(join(repoRoot, "apps/admin-router/dist/main.js"))) {
      throw new Error("service accounts need this machine's admin router (IAM), which is not built: run pnpm -r build, or start with --iam=false");
    }
    const accounts = await prepareServiceAccounts({ components, only: names, home, ip: config.ip, zk: config.zk, timeoutMs: config.start_timeout * 1000 });
    components = accounts.components;
    accountsNote = `service accounts ${accounts.uids.join(", ")} published in ZooKeeper; IAM at ${accounts.iamUrl ?? "this machine's admin router"}`;
  }
  const input = {
    components,
    shape,
    home,
    root: repoRoot,
    host: config.ip,
    ...(zk ? { zk } : {}),
    ...(config.quorum ? { quorum: config.quorum } : {}),
    dnsIp: dnsIp(config, only),
    masterFlags: [...(config.ha || role ? ["--zk_session_timeout", String(config.zk_session_timeout)] : []), ...split(config.master_flags)],
    agentFlags: split(config.agent_flags),
    containerizers: config.containerizers ?? (await detectContainerizers(agentBin)),
    machine: machineResources(existsSync(home) ? home : dirname(home)),
    available: (bin: string) => existsSync(bin),
    ...(only ? { only: new Set(only.split(",").map((s) => s.trim()).filter(Boolean)) } : {}),
  };
  const plan = planCluster(input);
  if (!config.random_ports) return plan;
  const keys = portKeys(plan);
  const ports = await freePorts(keys.length);
  return planCluster({ ...input, ports: new Map(keys.map((k, i) => [k, ports[i]!])) });
}

/** `up`: start and supervise the cluster (or report the one already running). */
export async function up(config: LaunchConfig, io: Io): Promise<number> {
  const home = resolve(config.home);
  const running = runningSupervisor(home);
  if (running !== undefined) return alreadyRunning(home, running, io);
  // A previous supervisor that died without stopping its children (kill -9, crash) left them
  // holding the ports; they go first.
  const leftovers = killLeftovers(readState(home));
  if (leftovers) io.err(`caravel-launch: stopped ${leftovers} processes left over from a previous run under ${home}\n`);
  if (config.detach) return detach(config, home, io);

  const lock = acquirePidFile(home);
  if (!lock.ok) return alreadyRunning(home, lock.pid, io);

  // The supervisor's JSON log goes to launcher.log; the terminal gets short progress lines.
  mkdirSync(dirname(launcherLog(home)), { recursive: true });
  const log = createLogger("caravel-launch", { level: config.log_level, destination: launcherLog(home) });
  let plan: Plan;
  try {
    plan = await buildPlan(config, home);
  } catch (error) {
    releasePidFile(home);
    io.err(`caravel-launch: ${(error as Error).message}\n`);
    return 2;
  }
  const missing = plan.instances.filter((i) => !existsSync(i.bin));
  if (missing.length) {
    releasePidFile(home);
    io.err(`caravel-launch: not built: ${missing.map((i) => i.bin).join(", ")}\nrun pnpm -r build (scripts/bootstrap does it)\n`);
    return 2;
  }
  const busy = await busyPorts(plan.instances.flatMap((i) => [i.port, ...Object.values(i.extraPorts)]));
  if (busy.length) {
    releasePidFile(home);
    const owners = plan.instances.filter((i) => busy.includes(i.port) || Object.values(i.extraPorts).some((p) => busy.includes(p)));
    io.err(
      `caravel-launch: port(s) ${busy.join(", ")} on 127.0.0.1 are in use (needed by ${owners.map((i) => i.name).join(", ")}); ` +
        `stop whatever holds them, or run with --random_ports\n`,
    );
    return 2;
  }
  const supervisor = new Supervisor(plan, {
    root: repoRoot,
    home,
    startTimeoutMs: config.start_timeout * 1000,
    stopTimeoutMs: config.stop_timeout * 1000,
    liveness: {
      intervalMs: config.health_interval * 1000,
      timeoutMs: Math.min(5_000, Math.max(1_000, config.health_interval * 1000)),
      maxFailures: config.max_health_failures,
    },
    log,
    progress: (line) => io.out(`${line}\n`),
  });
  let exitCode = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) {
      // A second Ctrl-C: do not wait for graceful stops any longer.
      io.err(`caravel-launch: ${signal} again: killing every process now\n`);
      supervisor.killAll();
      releasePidFile(home);
      process.exit(130);
    }
    io.err(`caravel-launch: ${signal}: stopping the cluster… (again to kill at once)\n`);
    void supervisor.stop().then(() => {
      releasePidFile(home);
      resolveDone();
    });
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => shutdown(signal));
  process.once("exit", () => {
    supervisor.killAll();
    releasePidFile(home);
  });
  io.out(`starting ${plan.instances.length} processes under ${home}/local (containerizers: ${plan.ctx.containerizers})…\n`);
  if (accountsNote) io.out(`${accountsNote}\n`);
  try {
    await supervisor.start();
    io.out(`${endpointsText(supervisor.snapshot())}\n`);
  } catch (error) {
    // Interrupted while starting: the signal handler is already stopping everything.
    if (signals > 0) {
      await done;
      return 0;
    }
    io.err(`caravel-launch: ${(error as Error).message}\n`);
    exitCode = 1;
    await supervisor.stop();
    releasePidFile(home);
    return exitCode;
  }
  await done;
  return exitCode;
}

function alreadyRunning(home: string, pid: number, io: Io): number {
  io.out(`Caravel is already running under ${home} (supervisor pid ${pid}); not starting it twice.\n`);
  const state = readState(home);
  if (state) io.out(`${endpointsText(state)}\n`);
  return 0;
}

/** `up --detach`: the supervisor runs in the background; wait until it is ready or failed. */
async function detach(config: LaunchConfig, home: string, io: Io): Promise<number> {
  mkdirSync(dirname(launcherLog(home)), { recursive: true });
  const fd = openSync(launcherLog(home), "a");
  // The same program again (dist/main.js, or src/main.ts under a loader), as the foreground supervisor.
  const args = [...process.execArgv, process.argv[1]!, config.role ? "start" : "up", ...process.argv.slice(2).filter((a) => a !== "up" && a !== "start"), "--detach=false", `--home=${home}`];
  const child = spawn(process.execPath, args, { detached: true, stdio: ["ignore", fd, fd], env: process.env });
  closeSync(fd);
  child.unref();
  const pid = child.pid!;
  const deadline = Date.now() + (config.start_timeout * 4 + 30) * 1000;
  for (;;) {
    const state = readState(home);
    if (state?.pid === pid && state.phase === "ready") {
      io.out(`${endpointsText(state)}\n`);
      return 0;
    }
    if (!isAlive(pid) || (state?.pid === pid && state.phase === "failed") || Date.now() > deadline) {
      const tail = readFileSync(launcherLog(home), "utf8").trimEnd().split("\n").slice(-30).join("\n");
      io.err(`caravel-launch: the cluster did not start (supervisor pid ${pid}); ${launcherLog(home)} ends with:\n${tail}\n`);
      if (isAlive(pid)) process.kill(pid, "SIGTERM");
      return 1;
    }
    await delay(100);
  }
}

/** `down`: stop the supervisor (it stops its children), then make sure no child is left. */
export async function down(config: LaunchConfig, io: Io): Promise<number> {
  const home = resolve(config.home);
  const pid = runningSupervisor(home);
  if (pid !== undefined) {
    process.kill(pid, "SIGTERM");
    const deadline = Date.now() + (config.stop_timeout * 3 + 15) * 1000;
    while (isAlive(pid) && Date.now() < deadline) await delay(100);
    if (isAlive(pid)) process.kill(pid, "SIGKILL");
  }
  const leftovers = killLeftovers(readState(home));
  if (pid === undefined && leftovers === 0) {
    io.out(`no caravel-launch is running under ${home}\n`);
    return 0;
  }
  io.out(`stopped the local cluster under ${home}${leftovers ? ` (killed ${leftovers} leftover processes)` : ""}\n`);
  return 0;
}

/** Kills component processes the state file lists that still run the component's program. */
function killLeftovers(state: LauncherState | undefined): number {
  let killed = 0;
  for (const c of state?.components ?? []) {
    if (!c.pid || !isAlive(c.pid) || !cmdline(c.pid).includes(c.bin)) continue; // pid reused by another program
    try {
      process.kill(-c.pid, "SIGKILL");
      killed++;
    } catch {
      // gone meanwhile
    }
  }
  return killed;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

/** `status`: 0 when the supervisor runs and every required component is healthy, 1 otherwise, 3 when not running. */
export async function status(config: LaunchConfig, io: Io): Promise<number> {
  const home = resolve(config.home);
  const state = readState(home);
  const pid = runningSupervisor(home);
  if (!state) {
    io.out(`no local cluster under ${home} (start one with: caravel-launch up --home ${home})\n`);
    return 3;
  }
  const probes = await Promise.all(state.components.map((c) => probe(c.healthUrl, 2_000)));
  const alive = state.components.map((c) => isAlive(c.pid));
  io.out(`${statusText(state, pid !== undefined && pid === state.pid, probes, alive)}\n`);
  if (pid === undefined) return 3;
  return state.components.every((c, i) => c.optional || probes[i]!.healthy) ? 0 : 1;
}
