/**
 * The processes of a local cluster, one table entry each. A later issue adds its process with one
 * entry here. Flags follow each process's own `--help`; keep them easy to adjust.
 */
import { readFileSync } from "node:fs";
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
}

export interface ClusterShape {
  agents: number;
  publicAgents: number;
}

export interface ComponentSpec {
  /** Name of the entry; instances are `name` (one) or `name-1`, `name-2` … (several). */
  name: string;
  /** Script to run with node, relative to the repository root. */
  bin: string;
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
const masterUrl = (ctx: LaunchContext) => ctx.url("master");

function agentArgs(ctx: LaunchContext, instance: string, extra: string[]): string[] {
  return [
    "--master", `${ctx.host}:${ctx.port("master")}`,
    "--ip", ctx.host,
    "--port", String(ctx.port(instance)),
    "--work_dir", ctx.workDir(instance),
    "--resources", ctx.resources(instance),
    "--containerizers", ctx.containerizers,
    ...extra,
  ];
}

/** The local cluster, in start order (dependencies in `after`). */
export const COMPONENTS: ComponentSpec[] = [
  {
    name: "master",
    bin: "packages/master/dist/main.js",
    role: "Mesos-compatible master: agents, frameworks, offers, state API",
    args: (ctx, i) => ["--ip", ctx.host, "--port", String(ctx.port(i)), "--work_dir", ctx.workDir(i)],
    healthPath: "/health",
    port: 5050,
    after: [],
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
    args: (ctx, i) => ["--master", masterUrl(ctx), "--hostname", ctx.host, "--port", String(ctx.port(i)), "--work_dir", ctx.workDir(i)],
    healthPath: "/ping",
    port: 8080,
    after: ["master"],
    optional: true,
  },
  {
    name: "dns",
    bin: "packages/dns/dist/main.js",
    role: "Mesos-DNS-compatible names (DNS on the dns port, HTTP API here)",
    args: (ctx, i) => ["--master", masterUrl(ctx), "--port", String(ctx.port(i, "dns")), "--http_port", String(ctx.port(i))],
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
    args: (ctx, i) => ["--master", masterUrl(ctx), "--http_port", String(ctx.port(i))],
    healthPath: "/health",
    port: 62080, // dcos-net's REST port
    after: ["master"],
    optional: true,
  },
  {
    name: "universe",
    bin: "packages/universe/dist/main.js",
    role: "Cosmos-compatible package API",
    args: (ctx, i) => ["--marathon", ctx.url("marathon"), "--port", String(ctx.port(i)), "--work_dir", ctx.workDir(i)],
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
      "--port", String(ctx.port(i)),
      "--master", masterUrl(ctx),
      "--marathon", ctx.url("marathon"),
      "--dns_http", ctx.url("dns"),
      "--universe", ctx.url("universe"),
      "--work_dir", ctx.workDir(i),
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
