/**
 * The processes of a local cluster, one table entry each. A later issue adds its process with one
 * entry here. Flags follow each process's own `--help`; keep them easy to adjust.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** What an entry's `args` and `printLines` may use: the cluster's layout as the launcher decided it. */
export interface LaunchContext {
  /** CARAVEL_HOME. */
  readonly home: string;
  /** `<home>/local`: state and logs of the local cluster. */
  readonly localDir: string;
  /** Address every process binds and advertises. */
  readonly host: string;
  /** The --work_dir of an instance: `<home>/local/<name>/`. */
  workDir(name: string): string;
  /** The port of an instance (its health port), or one of its extra ports by key. */
  port(name: string, key?: string): number;
  /** `http://127.0.0.1:<port>` of an instance. */
  url(name: string): string;
  /** The containerizers agents run with, e.g. "mesos,docker". */
  readonly containerizers: string;
  /** `--resources` of each agent instance, by instance name. */
  resources(name: string): string;
  /** Instance names of the agents (private then public). */
  readonly agents: readonly string[];
  /** Instance names of the masters (one, or three with `--ha`). */
  readonly masters: readonly string[];
  /** `zk://h:p,…/mesos` the masters elect through and agents detect the leader with (HA and `start`). */
  readonly zk: string | undefined;
  /** Masters that make a quorum (`--quorum`). */
  readonly quorum: number;
  /** As root: the dedicated address caravel-dns answers on port 53 and agents give tasks as resolver. */
  readonly dnsIp: string | undefined;
  /** Extra flags for every master / agent (e.g. short ping timeouts in chaos tests). */
  readonly masterFlags: readonly string[];
  readonly agentFlags: readonly string[];
}

/**
 * The master's node flags: semi-spaces of up to 64 MiB (V8's default is 16). While a new leader takes
 * in every agent's tasks after a failover, the default young generation filled every few
 * milliseconds and each collection copied the tasks still arriving; bench/reregistration.bench.ts at
 * 10,000 agents: median of 3 runs 6.4 s with the default, 5.0 s with this.
 */
export const MASTER_NODE_FLAGS = ["--max-semi-space-size=64"];

export interface ClusterShape {
  agents: number;
  publicAgents: number;
  /** `up --ha`: a 3-node ZooKeeper ensemble and 3 masters on this machine. */
  ha?: boolean;
}

export interface ComponentSpec {
  /** Name of the entry; instances are `name` (one) or `name-1`, `name-2` … (several). */
  name: string;
  /** Script to run with node, relative to the repository root (with `exec`: a file the command line names, e.g. a jar). */
  bin: string;
  /** Program to run instead of node (then `args` is its whole argument list), e.g. "java". */
  exec?: string;
  /** Flags for node itself, before the script. */
  nodeFlags?: string[];
  /** Files written (relative to the instance's work dir) before each start, e.g. a config file. */
  files?(ctx: LaunchContext, instance: string, index: number): Record<string, string>;
  /** Health URL instead of `url + healthPath`; `zk-srvr://host:port` asks ZooKeeper's `srvr`. */
  healthUrl?(ctx: LaunchContext, instance: string): string;
  /** A replicated entry whose single instance keeps the bare name (the master outside HA). */
  bareWhenOne?: boolean;
  /** What this process does, for tables and the README. */
  role: string;
  args(ctx: LaunchContext, instance: string, index: number): string[];
  /** Path answered with 200 once the process is ready. */
  healthPath: string;
  /** Default port of the first instance; instance i gets `port + offset(i)`. */
  port: number;
  /** Further ports the process binds (e.g. DNS), by key. */
  extraPorts?: Record<string, number>;
  /** How many instances (default 1). */
  instances?(shape: ClusterShape): number;
  /** Port offset of instance `index` (default `index`). */
  portOffset?(shape: ClusterShape, index: number): number;
  /** Agents: each instance gets a disjoint share of the machine (`ctx.resources(instance)`). */
  agent?: boolean;
  /** Role the agent's share is reserved to (public agents: slave_public), as Mesos' `--default_role` would. */
  agentRole?: string;
  /** Entries whose instances must be healthy before this one starts. */
  after: string[];
  /** Optional entries start only when their bin was built (their package may not exist yet). */
  optional: boolean;
  /** Lines to print after the endpoint table (e.g. a console URL and first credentials). */
  printLines?(ctx: LaunchContext): string[];
}

const MASTER = "127.0.0.1:5050";

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}
/** Every master's URL, comma-separated: the services accept a list and follow redirects to the leader. */
const masterUrl = (ctx: LaunchContext) => (ctx.masters.length ? ctx.masters.map((m) => ctx.url(m)).join(",") : ctx.url("master"));
/** With ZooKeeper, a service keeps its state beside the masters' election: `zk://…/mesos` → `zk://…/<node>`. */
const zkFor = (ctx: LaunchContext, node: string): string[] => (ctx.zk ? ["--zk", ctx.zk.replace(/\/[^/]*$/, `/${node}`)] : []);

function agentArgs(ctx: LaunchContext, instance: string, extra: string[]): string[] {
  return [
    "--master", ctx.zk ?? `${ctx.host}:${ctx.port(ctx.masters[0] ?? "master")}`,
    "--ip", ctx.host,
    "--port", String(ctx.port(instance)),
    "--work_dir", ctx.workDir(instance),
    "--resources", ctx.resources(instance),
    "--containerizers", ctx.containerizers,
    // Stopping the launcher takes the node's tasks down with it (ports and containers are freed);
    // a crashed agent is restarted by the supervisor without SIGTERM and recovers its tasks.
    "--cleanup_on_exit",
    ...(ctx.dnsIp ? ["--dns_server", ctx.dnsIp] : []),
    ...extra,
    ...ctx.agentFlags,
  ];
}

export const ZOOKEEPER_JAR = "/usr/share/java/zookeeper.jar";
const SLF4J_JAR = "/usr/share/java/slf4j-simple.jar";
/** ZooKeeper's data and ports; ensemble members find each other on the peer and election ports. */
function zooCfg(ctx: LaunchContext, instance: string): string {
  const members = Array.from({ length: 3 }, (_, i) => `zk-${i + 1}`);
  return [
    "tickTime=500", // sessions may last 1–10 s: short session timeouts (fast failover) are allowed
    "initLimit=20",
    "syncLimit=10",
    `dataDir=${join(ctx.workDir(instance), "data")}`,
    `clientPort=${ctx.port(instance)}`,
    `clientPortAddress=${ctx.host}`,
    "maxClientCnxns=0",
    "admin.enableServer=false", // else Jetty takes port 8080 (Marathon's)
    "4lw.commands.whitelist=ruok,srvr,stat,mntr,conf",
    ...members.map((m, i) => `server.${i + 1}=${ctx.host}:${ctx.port(m, "peer")}:${ctx.port(m, "election")}`),
    "",
  ].join("\n");
}

/** The local cluster, in start order (dependencies in `after`). */
export const COMPONENTS: ComponentSpec[] = [
  {
    name: "zk",
    bin: ZOOKEEPER_JAR,
    exec: "java",
    role: "ZooKeeper ensemble member (HA): master election and the registry",
    args: (ctx, i) => [
      "-Xms32m", "-Xmx192m", "-XX:+UseSerialGC",
      "-cp", [ZOOKEEPER_JAR, ...(existsSync(SLF4J_JAR) ? [SLF4J_JAR] : [])].join(":"),
      "org.apache.zookeeper.server.quorum.QuorumPeerMain", join(ctx.workDir(i), "zoo.cfg"),
    ],
    files: (ctx, i, index) => ({ "zoo.cfg": zooCfg(ctx, i), "data/myid": String(index + 1) }),
    healthUrl: (ctx, i) => `zk-srvr://${ctx.host}:${ctx.port(i)}`,
    healthPath: "",
    port: 2181,
    extraPorts: { peer: 2888, election: 3888 },
    instances: (shape) => (shape.ha ? 3 : 0),
    after: [],
    optional: false,
  },
  {
    name: "master",
    bin: "packages/master/dist/main.js",
    nodeFlags: MASTER_NODE_FLAGS,
    role: "Mesos-compatible master: agents, frameworks, offers, state API",
    args: (ctx, i) => [
      "--ip", ctx.host, "--port", String(ctx.port(i)), "--work_dir", ctx.workDir(i),
      ...(ctx.zk ? ["--zk", ctx.zk, "--quorum", String(ctx.quorum)] : []),
      ...ctx.masterFlags,
    ],
    healthPath: "/health",
    port: 5050,
    instances: (shape) => (shape.ha ? 3 : 1),
    portOffset: (_shape, index) => index * 10, // 5050, 5060, 5070: clear of the agents' 5051…
    bareWhenOne: true,
    after: ["zk"],
    optional: false,
  },
  {
    name: "agent",
    bin: "packages/agent/dist/main.js",
    role: "private agent: runs tasks",
    args: (ctx, i) => agentArgs(ctx, i, []),
    healthPath: "/health",
    port: 5051,
    instances: (shape) => shape.agents,
    agent: true,
    after: ["master"],
    optional: false,
  },
  {
    name: "public-agent",
    bin: "packages/agent/dist/main.js",
    role: "public agent (role slave_public)",
    args: (ctx, i) => agentArgs(ctx, i, ["--default_role", "slave_public", "--attributes", "public_ip:true"]),
    healthPath: "/health",
    port: 5051,
    instances: (shape) => shape.publicAgents,
    portOffset: (shape, index) => shape.agents + index,
    agent: true,
    agentRole: "slave_public",
    after: ["master"],
    optional: false,
  },
  {
    name: "marathon",
    bin: "packages/marathon/dist/main.js",
    role: "Marathon-compatible init service",
    args: (ctx, i) => ["--master", masterUrl(ctx), "--ip", ctx.host, "--hostname", ctx.host, "--port", String(ctx.port(i)), "--work_dir", ctx.workDir(i), ...zkFor(ctx, "marathon")],
    healthPath: "/ping",
    port: 8080,
    after: ["master"],
    optional: true,
  },
  {
    name: "dns",
    bin: "packages/dns/dist/main.js",
    role: "Mesos-DNS-compatible names (DNS on the dns port, HTTP API here)",
    args: (ctx, i) => [
      "--master", ctx.zk ?? masterUrl(ctx), "--listen", ctx.host, "--port", String(ctx.port(i, "dns")), "--http_port", String(ctx.port(i)),
      ...(ctx.dnsIp ? ["--dummy_ip", ctx.dnsIp] : []),
    ],
    healthPath: "/health",
    port: 8123,
    extraPorts: { dns: 8053 },
    after: ["master"],
    optional: true,
  },
  {
    name: "l4lb",
    bin: "packages/l4lb/dist/main.js",
    role: "layer-4 load balancer for VIPs (HTTP: /v1/vips, health, metrics)",
    args: (ctx, i) => ["--master", ctx.zk ?? masterUrl(ctx), "--listen", ctx.host, "--http_port", String(ctx.port(i))],
    healthPath: "/health",
    port: 62080, // dcos-net's REST port
    after: ["master"],
    optional: true,
  },
  {
    name: "universe",
    bin: "packages/universe/dist/main.js",
    role: "Cosmos-compatible package API",
    args: (ctx, i) => ["--marathon", ctx.url("marathon"), "--master", masterUrl(ctx), "--ip", ctx.host, "--port", String(ctx.port(i)), "--work_dir", ctx.workDir(i), ...zkFor(ctx, "universe")],
    healthPath: "/health",
    port: 7070,
    after: ["marathon"],
    optional: true,
  },
  {
    name: "admin-router",
    bin: "apps/admin-router/dist/main.js",
    role: "the single door: login, IAM, routing",
    args: (ctx, i) => [
      "--ip", ctx.host,
      "--port", String(ctx.port(i)),
      "--master", ctx.zk ?? masterUrl(ctx),
      "--marathon", ctx.url("marathon"),
      "--dns_http", ctx.url("dns"),
      "--universe", ctx.url("universe"),
      "--work_dir", ctx.workDir(i),
      ...zkFor(ctx, "caravel"),
    ],
    healthPath: "/health",
    port: 8000,
    after: ["master"],
    optional: true,
    printLines: (ctx) => {
      const lines = [`console: ${ctx.url("admin-router")}/`];
      // The router writes the first admin's password into its work dir on first start.
      const password = readIfExists(join(ctx.workDir("admin-router"), "admin-password"));
      if (password) lines.push(`first admin: uid "admin", password "${password}" (from ${join(ctx.workDir("admin-router"), "admin-password")})`);
      return lines;
    },
  },
];

/** Default master address, for help texts. */
export const DEFAULT_MASTER = MASTER;
