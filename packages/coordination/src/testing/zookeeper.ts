/**
 * Throwaway ZooKeeper servers for tests (env-setup-notes.md §5): standalone or a 3-node ensemble on
 * loopback, free ports, temporary dataDirs, `admin.enableServer=false`, ready once `srvr` answers with
 * a `Mode:` line. They fail loudly, with the install command, when ZooKeeper is not installed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ZOOKEEPER_JAR = "/usr/share/java/zookeeper.jar";
const SLF4J_JAR = "/usr/share/java/slf4j-simple.jar";
export const ZOOKEEPER_INSTALL = "apt-get install -y --no-install-recommends zookeeper";

export interface ZooKeeperOptions {
  /** ZooKeeper's tick; sessions may last from 2 to 20 ticks. Default 500 ms (sessions ≥ 1 s). */
  readonly tickTimeMs?: number;
  /** How long to wait for a server to serve. Default 60 s (a loaded machine is slow to start a JVM). */
  readonly startTimeoutMs?: number;
  /** fsync the transaction log (default false: tests do not need it; benchmarks comparing durability do). */
  readonly forceSync?: boolean;
  /** Appends each server's log (stderr) to `<logDir>/zk-<port>.log`, e.g. to see why a session expired. */
  readonly logDir?: string;
}

/** One ZooKeeper server process. */
export interface ZooKeeperNode {
  readonly port: number;
  readonly dataDir: string;
  /** SIGKILLs the server (its data stays, so sessions survive until they time out). */
  kill(): Promise<void>;
  /** Starts it again on the same port and dataDir. */
  restart(): Promise<void>;
  /** "leader", "follower" or "standalone"; undefined when it does not serve. */
  mode(): Promise<string | undefined>;
  /** SIGSTOPs the server: its TCP connections stay open but nothing answers (a hung JVM or host). */
  freeze(): void;
  /** SIGCONTs a frozen server. */
  thaw(): void;
}

export interface ZooKeeperServer extends ZooKeeperNode {
  /** "127.0.0.1:port". */
  readonly connectString: string;
  /** A `zk://` URL for this server with the given chroot. */
  url(chroot?: string): string;
  /** Kills the server and deletes its files. */
  stop(): Promise<void>;
}

export interface ZooKeeperEnsemble {
  readonly nodes: readonly ZooKeeperNode[];
  /** "127.0.0.1:p1,127.0.0.1:p2,…". */
  readonly connectString: string;
  url(chroot?: string): string;
  /** The node that leads the quorum now. */
  leader(): Promise<ZooKeeperNode | undefined>;
  /** Kills every node and deletes their files. */
  stop(): Promise<void>;
}

/** Throws with the install command when ZooKeeper is missing. */
export function requireZooKeeper(): void {
  if (!existsSync(ZOOKEEPER_JAR)) throw new Error(`ZooKeeper is not installed: ${ZOOKEEPER_INSTALL}`);
}

/** Starts a standalone ZooKeeper on a free loopback port. */
export async function startZooKeeper(options: ZooKeeperOptions = {}): Promise<ZooKeeperServer> {
  requireZooKeeper();
  const root = await mkdtemp(join(tmpdir(), "caravel-zk-"));
  const port = await freePort();
  const node = await createNode(root, port, [], options);
  try {
    await node.restart();
  } catch (error) {
    await node.kill();
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  return {
    ...node,
    connectString: `127.0.0.1:${port}`,
    url: (chroot = "/") => `zk://127.0.0.1:${port}${chroot === "/" ? "" : chroot}`,
    stop: async () => {
      await node.kill();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Starts an ensemble of `size` (default 3) servers on loopback and waits until all serve. */
export async function startZooKeeperEnsemble(
  size = 3,
  options: ZooKeeperOptions = {},
): Promise<ZooKeeperEnsemble> {
  requireZooKeeper();
  const root = await mkdtemp(join(tmpdir(), "caravel-zk-ensemble-"));
  const ports = await freePorts(size * 3);
  const servers = Array.from(
    { length: size },
    (_, i) => `server.${i + 1}=127.0.0.1:${ports[size + 2 * i]}:${ports[size + 2 * i + 1]}`,
  );
  const nodes: ZooKeeperNode[] = [];
  for (let i = 0; i < size; i++) {
    const dir = join(root, `node${i + 1}`);
    await mkdir(join(dir, "data"), { recursive: true });
    await writeFile(join(dir, "data", "myid"), String(i + 1));
    nodes.push(await createNode(dir, ports[i] ?? 0, servers, options));
  }
  const stop = async (): Promise<void> => {
    for (const node of nodes) await node.kill();
    await rm(root, { recursive: true, force: true });
  };
  try {
    // A quorum member only serves once a quorum exists, so start them all before waiting.
    await Promise.all(nodes.map((node) => node.restart()));
  } catch (error) {
    await stop();
    throw error;
  }
  const connectString = nodes.map((n) => `127.0.0.1:${n.port}`).join(",");
  return {
    nodes,
    connectString,
    url: (chroot = "/") => `zk://${connectString}${chroot === "/" ? "" : chroot}`,
    leader: async () => {
      for (const node of nodes) if ((await node.mode()) === "leader") return node;
      return undefined;
    },
    stop,
  };
}

async function createNode(
  dir: string,
  port: number,
  servers: string[],
  options: ZooKeeperOptions,
): Promise<ZooKeeperNode> {
  const dataDir = join(dir, "data");
  await mkdir(dataDir, { recursive: true });
  const config = join(dir, "zoo.cfg");
  await writeFile(
    config,
    [
      `tickTime=${options.tickTimeMs ?? 500}`,
      "initLimit=10",
      "syncLimit=5",
      `dataDir=${dataDir}`,
      `clientPort=${port}`,
      "clientPortAddress=127.0.0.1",
      "maxClientCnxns=0",
      "admin.enableServer=false",
      "4lw.commands.whitelist=ruok,srvr,stat,mntr,conf",
      // fsync per commit costs time tests do not need to spend; benchmarks turn it back on.
      `forceSync=${options.forceSync ? "yes" : "no"}`,
      ...servers,
      "",
    ].join("\n"),
  );
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  let child: ChildProcess | undefined;
  const onExit = (): void => void child?.kill("SIGKILL");
  const kill = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    process.removeListener("exit", onExit);
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once("exit", resolve));
    proc.kill("SIGKILL");
    await exited;
  };
  const launch = async (): Promise<void> => {
    const classpath = [ZOOKEEPER_JAR, ...(existsSync(SLF4J_JAR) ? [SLF4J_JAR] : [])].join(":");
    const args = [
      "-Xms32m",
      "-Xmx192m",
      "-XX:+UseSerialGC",
      "-cp",
      classpath,
      "org.apache.zookeeper.server.quorum.QuorumPeerMain",
      config,
    ];
    const proc = spawn("java", args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    proc.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    if (options.logDir) proc.stderr?.pipe(createWriteStream(join(options.logDir, `zk-${port}.log`), { flags: "a" }));
    child = proc;
    process.once("exit", onExit); // never leave a JVM behind a crashed test run…
    watchParent(proc.pid); // …nor behind a test worker killed outright
    const deadline = Date.now() + startTimeoutMs;
    while ((await srvrMode(port)) === undefined) {
      if (proc.exitCode !== null)
        throw new Error(`ZooKeeper exited with code ${proc.exitCode} before serving: ${stderr}`);
      if (Date.now() > deadline) {
        await kill();
        throw new Error(`ZooKeeper did not serve on port ${port} within ${startTimeoutMs} ms: ${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  return {
    port,
    dataDir,
    kill,
    restart: async () => {
      await kill();
      await launch();
    },
    mode: () => srvrMode(port),
    freeze: () => void child?.kill("SIGSTOP"),
    thaw: () => void child?.kill("SIGCONT"),
  };
}

/** A tiny shell that SIGKILLs the JVM once this process is gone (it exits itself when the JVM does). */
function watchParent(javaPid: number | undefined): void {
  if (javaPid === undefined) return;
  const script = `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${javaPid} 2>/dev/null; do sleep 2; done; kill -0 ${process.pid} 2>/dev/null || kill -9 ${javaPid} 2>/dev/null`;
  const watchdog = spawn("sh", ["-c", script], { stdio: "ignore", detached: true });
  watchdog.unref();
}

/** True when `srvr` answers with a Mode line (the server is up and serving). */
export async function serving(port: number): Promise<boolean> {
  return (await srvrMode(port)) !== undefined;
}

/** The `Mode:` a server reports to `srvr`, or undefined when it does not serve. */
export function srvrMode(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    let text = "";
    const socket = createConnection({ host: "127.0.0.1", port }, () => socket.end("srvr"));
    socket.setTimeout(2000, () => socket.destroy());
    socket.on("data", (chunk) => (text += chunk.toString()));
    socket.on("error", () => resolve(undefined));
    socket.on("close", () => resolve(/^Mode: (\S+)/m.exec(text)?.[1]));
  });
}

/**
 * A free port *below* the kernel's ephemeral range. While a server is down (kill/restart tests),
 * clients keep reconnecting, and a client whose ephemeral source port happened to equal the server's
 * port would connect to itself (TCP simultaneous open) and hear its own requests as answers.
 */
async function freePort(exclude: ReadonlySet<number> = new Set()): Promise<number> {
  const range = await readFile("/proc/sys/net/ipv4/ip_local_port_range", "utf8").catch(() => "32768 60999");
  const low = Number(range.trim().split(/\s+/)[0]) || 32768;
  const floor = Math.min(10_000, low - 1000);
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = floor + Math.floor(Math.random() * (low - floor));
    if (!exclude.has(port) && (await canListen(port))) return port;
  }
  throw new Error(`found no free port between ${floor} and ${low} for ZooKeeper`);
}

async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort(ports));
  return [...ports];
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}
