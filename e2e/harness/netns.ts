/**
 * Hosts made of network namespaces (env-setup-notes.md §6): each host is a namespace `cvl-<name>`
 * with one veth pair into the bridge `cvl-br0`, an address in 10.213.0.0/16 and a default route via
 * the bridge (10.213.0.1, which is also where processes on the real host are reached). A host can be
 * cut off (its link goes down) and healed. Everything it creates carries the `cvl-` prefix and is
 * removed at the end, on process exit, and (stale leftovers of a crashed run) before the first use;
 * other namespaces, bridges and iptables rules are never touched. Needs root.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";

const PREFIX = "cvl-";
export const BRIDGE = "cvl-br0";
/** The real host's address on the bridge: run ZooKeeper and masters here to reach them from every host. */
export const GATEWAY = "10.213.0.1";
const SUBNET = "10.213.0.0/16";
/** Docker sets FORWARD's policy to DROP, and br_netfilter runs bridged frames through it. */
const FORWARD_RULE = ["FORWARD", "-s", SUBNET, "-d", SUBNET, "-j", "ACCEPT"];

export interface NetHost {
  readonly name: string;
  /** The namespace, `cvl-<name>`. */
  readonly ns: string;
  readonly ip: string;
  /** Starts a command inside the host (`ip netns exec`), in its own process group. */
  spawn(command: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** Runs a command inside the host and returns its stdout (throws on failure). */
  run(command: string, args: string[]): string;
  /** Cuts the host off the network (its bridge-side link goes down); processes keep running. */
  cut(): void;
  /** Brings the link back. */
  heal(): void;
  /** kill -9 of every process in the host. */
  killAll(): void;
}

export interface NetLab {
  readonly hosts: readonly NetHost[];
  /** Creates host `name` (lower-case letters/digits, ≤ 8 chars) with the next free address. */
  addHost(name: string): NetHost;
  /** Removes every namespace, link and iptables rule this lab (or a stale run) created. */
  destroy(): void;
}

function sh(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}
function quiet(command: string, args: string[]): boolean {
  try {
    sh(command, args);
    return true;
  } catch {
    return false;
  }
}

/** Fails loudly when the harness cannot work here. */
export function requireNetns(): void {
  if (process.getuid?.() !== 0) throw new Error("network-namespace tests need root (run the e2e suite as root)");
  if (!quiet("ip", ["-V"])) throw new Error("iproute2 is missing: apt-get install -y --no-install-recommends iproute2");
  if (!quiet("iptables", ["-V"])) throw new Error("iptables is missing: apt-get install -y --no-install-recommends iptables");
}

/** Removes every `cvl-` namespace (after kill -9 of its processes), `cvl-` link and the FORWARD rule. */
export function cleanupNetns(): void {
  const namespaces = quiet("ip", ["netns", "list"]) ? sh("ip", ["netns", "list"]) : "";
  for (const line of namespaces.split("\n")) {
    const ns = line.split(" ")[0] ?? "";
    if (!ns.startsWith(PREFIX)) continue;
    const pids = quiet("ip", ["netns", "pids", ns]) ? sh("ip", ["netns", "pids", ns]).split("\n").filter(Boolean) : [];
    for (const pid of pids) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch {
        // gone already
      }
    }
    quiet("ip", ["netns", "del", ns]);
  }
  const links = sh("ip", ["-o", "link", "show"]);
  for (const m of links.matchAll(/^\d+: ([^:@\s]+)/gm)) {
    const name = m[1]!;
    if (name.startsWith(PREFIX)) quiet("ip", ["link", "del", name]);
  }
  while (quiet("iptables", ["-C", ...FORWARD_RULE])) quiet("iptables", ["-D", ...FORWARD_RULE]);
}

const LOCK = "/run/cvl-netlab.lock";

/**
 * One lab at a time on this machine (test files run in parallel workers, and the bridge and the
 * cleanup are shared): waits for the lock, taking it over from a holder that is no longer alive.
 */
async function acquireLock(timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(LOCK, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = Number(readFileSync(LOCK, "utf8").trim());
    if (!holder || !alive(holder)) {
      rmSync(LOCK, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`another network-namespace lab (pid ${holder}) held ${LOCK} for ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
function releaseLock(): void {
  try {
    if (Number(readFileSync(LOCK, "utf8").trim()) === process.pid) rmSync(LOCK, { force: true });
  } catch {
    // not held
  }
}
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Creates the bridge and FORWARD rule (after removing stale leftovers) and returns an empty lab.
 * Waits while another process's lab exists.
 */
export async function createNetLab(): Promise<NetLab> {
  requireNetns();
  await acquireLock();
  cleanupNetns();
  sh("ip", ["link", "add", BRIDGE, "type", "bridge"]);
  sh("ip", ["addr", "add", `${GATEWAY}/16`, "dev", BRIDGE]);
  sh("ip", ["link", "set", BRIDGE, "up"]);
  sh("iptables", ["-I", FORWARD_RULE[0]!, "1", ...FORWARD_RULE.slice(1)]);
  const onExit = () => {
    cleanupNetns();
    releaseLock();
  };
  process.once("exit", onExit);
  const hosts: NetHost[] = [];
  let destroyed = false;
  return {
    hosts,
    addHost(name) {
      if (!/^[a-z0-9]{1,8}$/.test(name)) throw new Error(`host name "${name}": use 1-8 lower-case letters or digits`);
      const i = hosts.length + 2; // .1 is the gateway
      const ns = `${PREFIX}${name}`;
      const outside = `${PREFIX}h${i}`;
      const inside = `${PREFIX}n${i}`;
      const ip = `10.213.${Math.floor(i / 250) + 1}.${(i % 250) + 1}`;
      sh("ip", ["netns", "add", ns]);
      sh("ip", ["link", "add", outside, "type", "veth", "peer", "name", inside]);
      sh("ip", ["link", "set", inside, "netns", ns]);
      sh("ip", ["link", "set", outside, "master", BRIDGE]);
      sh("ip", ["link", "set", outside, "up"]);
      sh("ip", ["-n", ns, "addr", "add", `${ip}/16`, "dev", inside]);
      sh("ip", ["-n", ns, "link", "set", inside, "up"]);
      sh("ip", ["-n", ns, "link", "set", "lo", "up"]);
      sh("ip", ["-n", ns, "route", "add", "default", "via", GATEWAY]);
      const host: NetHost = {
        name,
        ns,
        ip,
        spawn: (command, args, options = {}) => spawn("ip", ["netns", "exec", ns, command, ...args], { detached: true, ...options }),
        run: (command, args) => sh("ip", ["netns", "exec", ns, command, ...args]),
        cut: () => void sh("ip", ["link", "set", outside, "down"]),
        heal: () => void sh("ip", ["link", "set", outside, "up"]),
        killAll: () => {
          if (!namespaceExists(ns)) return;
          for (const pid of sh("ip", ["netns", "pids", ns]).split("\n").filter(Boolean)) {
            try {
              process.kill(Number(pid), "SIGKILL");
            } catch {
              // gone already
            }
          }
        },
      };
      hosts.push(host);
      return host;
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      process.removeListener("exit", onExit);
      cleanupNetns();
      releaseLock();
    },
  };
}

/** kill -9 of one process (anywhere); false when it was gone already. */
export function killHard(pid: number): boolean {
  try {
    process.kill(pid, "SIGKILL");
    return true;
  } catch {
    return false;
  }
}

/** True when a namespace of this name exists (for tests of the cleanup). */
export function namespaceExists(ns: string): boolean {
  return existsSync(`/run/netns/${ns}`);
}
