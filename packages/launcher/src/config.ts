/** caravel-launch's flags (shared by `up`, `down` and `status`). */
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";

const flag = z.preprocess((v) => (v === "" ? true : v), z.coerce.boolean());

export const LaunchConfig = z.object({
  home: z.coerce.string().default(join(homedir(), ".caravel")).describe("CARAVEL_HOME: logs and state live in <home>/local"),
  agents: z.coerce.number().int().min(0).max(64).default(2).describe("private agents to start (up)"),
  public_agents: z.coerce.number().int().min(0).max(64).default(1).describe("public agents (role slave_public) to start (up)"),
  detach: flag.default(false).describe("up: start the supervisor in the background, wait for health, print and return"),
  containerizers: z.coerce
    .string()
    .optional()
    .describe("agents' containerizers (default: mesos, plus docker when `docker info` answers; sim when the agent knows no other)"),
  only: z.coerce
    .string()
    .optional()
    .describe("comma-separated components to start, e.g. master,agent (default: every built one)"),
  random_ports: flag.default(false).describe("bind free ports instead of the defaults (5050, 5051 …), e.g. for tests"),
  components_file: z.coerce.string().optional().describe("JSON file of components replacing the built-in table (tests, custom clusters)"),
  start_timeout: z.coerce.number().min(1).default(120).describe("seconds each process has to answer its health check"),
  stop_timeout: z.coerce.number().min(0).default(10).describe("seconds between SIGTERM and SIGKILL when stopping a process"),
  health_interval: z.coerce.number().min(0.05).default(5).describe("seconds between health checks of a running process"),
  max_health_failures: z.coerce
    .number()
    .int()
    .min(1)
    .default(12)
    .describe("failed health checks in a row after which a hung process is killed and restarted"),
  ha: flag.default(false).describe("up: a 3-node ZooKeeper ensemble (2181-2183) and 3 masters (5050, 5060, 5070) electing a leader"),
  role: z.enum(["master", "agent", "public-agent"]).optional().describe("start: this machine's share of a multi-machine cluster"),
  zk: z
    .string()
    .regex(/^zk:\/\/[^/]+\/\S*$/, "use zk://host:port,host:port,host:port/mesos")
    .optional()
    .describe("start: the ZooKeeper ensemble, zk://h1:2181,h2:2181,h3:2181/mesos"),
  ip: z.string().default("127.0.0.1").describe("address the processes bind and advertise (start: this machine's; up: e.g. a bridge address that namespaces reach)"),
  quorum: z.coerce.number().int().min(1).optional().describe("masters that make a quorum (default 2 with --ha; set it to a majority of your masters with start)"),
  zk_session_timeout: z.coerce.number().min(1).default(10).describe("masters' ZooKeeper session timeout in seconds (failover takes about this long)"),
  dns_ip: z
    .string()
    .regex(/^(\d{1,3}\.){3}\d{1,3}$|^$/, "use an IPv4 address such as 198.51.100.1, or an empty value to turn it off")
    .default("198.51.100.1")
    .describe("as root: caravel-dns also answers on <dns_ip>:53 and agents give it to tasks as their resolver (dcos-net's address); empty turns it off, as does --random_ports"),
  iam: flag
    .optional()
    .describe("start: give each component a service account (keys under <home>/local/service-accounts, published in ZooKeeper for the admin routers) and start it with --iam_url and its account, so that every call carries a token and backends refuse callers without one (default on for start, off for up; --iam=false turns it off)"),
  master_flags: z.string().default("").describe("extra flags for every master, space-separated (e.g. --agent_ping_timeout 1)"),
  agent_flags: z.string().default("").describe("extra flags for every agent, space-separated"),
  log_level: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info").describe("log level of the supervisor"),
});
export type LaunchConfig = z.output<typeof LaunchConfig>;

export const COMMANDS = ["up", "down", "status", "start"] as const;
export type Command = (typeof COMMANDS)[number];

export const SUMMARY = `Starts and supervises a whole local Caravel cluster on 127.0.0.1.

Commands:
  up       start the cluster (foreground supervisor; Ctrl-C stops it) and print its endpoints
  down     stop a running cluster and every process it started
  status   show each process's pid, port and health
  start    one machine's share of a multi-machine cluster: --role master|agent|public-agent --zk zk://…/mesos --ip <this machine>
           (foreground like up; down and status work on it too)`;
