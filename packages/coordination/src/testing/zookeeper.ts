/**
 * A throwaway standalone ZooKeeper for tests (env-setup-notes.md §5): a free port, a temporary
 * dataDir, `admin.enableServer=false`, ready once `srvr` answers with a `Mode:` line. It fails
 * loudly, with the install command, when ZooKeeper is not installed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ZOOKEEPER_JAR = "/usr/share/java/zookeeper.jar";
const SLF4J_JAR = "/usr/share/java/slf4j-simple.jar";
export const ZOOKEEPER_INSTALL = "apt-get install -y --no-install-recommends zookeeper";

export interface ZooKeeperOptions {
  /** ZooKeeper's tick; sessions may last from 2 to 20 ticks. Default 500 ms (sessions ≥ 1 s). */
  readonly tickTimeMs?: number;
  /** How long to wait for the server to serve. Default 60 s (a loaded machine is slow to start a JVM). */
  readonly startTimeoutMs?: number;
  /** fsync the transaction log (default false: tests do not need it; benchmarks comparing durability do). */
  readonly forceSync?: boolean;
}

export interface ZooKeeperServer {
  readonly port: number;
  /** "127.0.0.1:port". */
  readonly connectString: string;
  readonly dataDir: string;
  /** A `zk://` URL for this server with the given chroot. */
  url(chroot?: string): string;
  /** SIGKILLs the server (sessions survive in its dataDir until they time out). */
  kill(): Promise<void>;
  /** Starts it again on the same port and dataDir. */
  restart(): Promise<void>;
  /** Kills the server and deletes its files. */
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
  const dataDir = join(root, "data");
  await mkdir(dataDir);
  const port = await freePort();
  const config = join(root, "zoo.cfg");
  await writeFile(
    config,
    [
      `tickTime=${options.tickTimeMs ?? 500}`,
      `dataDir=${dataDir}`,
      `clientPort=${port}`,
      "clientPortAddress=127.0.0.1",
      "maxClientCnxns=0",
      "admin.enableServer=false",
      "4lw.commands.whitelist=ruok,srvr,stat,mntr,conf",
      // fsync per commit costs time tests do not need to spend; benchmarks turn it back on.
      `forceSync=${options.forceSync ? "yes" : "no"}`,
      "",
    ].join("\n"),
  );
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const classpath = [ZOOKEEPER_JAR, ...(existsSync(SLF4J_JAR) ? [SLF4J_JAR] : [])].join(":");
    const proc = spawn(
      "java",
      [
        "-Xms32m",
        "-Xmx192m",
        "-XX:+UseSerialGC",
        "-cp",
        classpath,
        "org.apache.zookeeper.server.quorum.QuorumPeerMain",
        config,
      ],
      {
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    proc.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child = proc;
    const deadline = Date.now() + startTimeoutMs;
    while (!(await serving(port))) {
      if (proc.exitCode !== null)
        throw new Error(`ZooKeeper exited with code ${proc.exitCode} before serving: ${stderr}`);
      if (Date.now() > deadline) {
        proc.kill("SIGKILL");
        throw new Error(`ZooKeeper did not serve on port ${port} within ${startTimeoutMs} ms: ${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const kill = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once("exit", resolve));
    proc.kill("SIGKILL");
    await exited;
  };
  const onExit = (): void => void child?.kill("SIGKILL");
  process.once("exit", onExit);
  await launch();
  return {
    port,
    connectString: `127.0.0.1:${port}`,
    dataDir,
    url: (chroot = "/") => `zk://127.0.0.1:${port}${chroot === "/" ? "" : chroot}`,
    kill,
    restart: async () => {
      await kill();
      await launch();
    },
    stop: async () => {
      await kill();
      process.removeListener("exit", onExit);
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** True when `srvr` answers with a Mode line (the server is up and serving). */
export function serving(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    let text = "";
    const socket = createConnection({ host: "127.0.0.1", port }, () => socket.end("srvr"));
    socket.setTimeout(2000, () => socket.destroy());
    socket.on("data", (chunk) => (text += chunk.toString()));
    socket.on("error", () => resolve(false));
    socket.on("close", () => resolve(/^Mode: /m.test(text)));
  });
}

/**
 * A free port *below* the kernel's ephemeral range. While the server is down (kill/restart tests),
 * clients keep reconnecting, and a client whose ephemeral source port happened to equal the server's
 * port would connect to itself (TCP simultaneous open) and hear its own requests as answers.
 */
async function freePort(): Promise<number> {
  const range = await readFile("/proc/sys/net/ipv4/ip_local_port_range", "utf8").catch(() => "32768 60999");
  const low = Number(range.trim().split(/\s+/)[0]) || 32768;
  const floor = Math.min(10_000, low - 1000);
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = floor + Math.floor(Math.random() * (low - floor));
    if (await canListen(port)) return port;
  }
  throw new Error(`found no free port between ${floor} and ${low} for ZooKeeper`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}
