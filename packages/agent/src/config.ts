/**
 * caravel-agent's flags. Names follow Mesos' agent flags (`--master`, `--work_dir`, `--resources` …) so
 * that Mesos operators feel at home; Caravel-only flags (`--simulate`, `--gc_*` budgets) say so.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { BackendAuthFlags } from "@caravel/auth";
import { port, seconds } from "@caravel/runtime";

const text = (description: string) => z.coerce.string().optional().describe(description);

function defaultWorkDir(): string {
  try {
    return join(homedir(), ".caravel", "agent");
  } catch {
    return "/tmp/caravel-agent";
  }
}

export const AgentConfig = z.object({
  master: z.coerce
    .string()
    .default("127.0.0.1:5050")
    .describe("master to register with: host:port, a comma-separated list, an http(s) URL, or zk://host:2181/path (the elected leader)"),
  ip: z.coerce.string().default("127.0.0.1").describe("IP address to listen on"),
  advertise_ip: text("IP address the master and tasks use to reach this agent (default: --ip)"),
  port: port.default(5051).describe("port to listen on (0 = any free port)"),
  hostname: text("hostname to report (default: the machine's hostname)"),
  work_dir: z.coerce.string().default(defaultWorkDir()).describe("where sandboxes, volumes and checkpoints live"),
  resources: text("resources in Mesos syntax (cpus:4;mem:8192;ports:[31000-32000]) overriding detection per name"),
  attributes: text("attributes in Mesos syntax (rack:r1;zone:a)"),
  containerizers: z.coerce.string().default("mesos,docker").describe("containerizers to use, e.g. docker,mesos or sim"),
  default_role: z.coerce.string().default("*").describe("role of detected resources (slave_public for public agents)"),
  simulate: z.coerce.number().int().min(1).max(100_000).default(1).describe("with --containerizers=sim: how many agents to run in this process"),
  gc_keep_per_app: z.coerce.number().int().min(0).default(5).describe("sandboxes of ended tasks kept per app, newest first"),
  gc_delay: seconds.default(7 * 24 * 3600).describe("seconds after which an ended task's sandbox may be collected"),
  gc_disk_budget_mb: z.coerce.number().min(0).default(10_240).describe("MiB that ended tasks' sandboxes may use before the oldest are collected"),
  docker_image_gc_budget: z.coerce
    .number()
    .min(0)
    .default(0)
    .describe("MiB that Docker images may use before the least recently used unused ones are removed (0 = off)"),
  docker_image_gc_keep: z.coerce
    .string()
    .default("local/*")
    .describe("comma-separated image name patterns never collected (* matches anything; local/* are built here and cannot be pulled)"),
  gc_interval: seconds.default(60).describe("seconds between garbage collection rounds"),
  dns_server: text("DNS server address given to containers (caravel-dns)"),
  log_dir: text("directory for the agent's log file (served as /slave/log); logs go to stdout otherwise"),
  log_level: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info").describe("log level"),
  registration_backoff_factor: seconds
    .default(0.25)
    .describe("upper bound in seconds of the first random reconnection delay; doubles per retry up to 60 s"),
  status_update_retry_interval: seconds.default(10).describe("first retry of an unacknowledged status update (doubles up to 10 min)"),
  executor_shutdown_grace_period: seconds.default(3).describe("kill grace period when a task's KillPolicy gives none"),
  cleanup_on_exit: z.boolean().default(false).describe("kill every task when the agent is stopped (local clusters going down); by default tasks outlive the agent, which recovers them"),
  // --iam_url, --service_account_uid, --service_account_key: calls to the master carry the account's token.
}).extend(BackendAuthFlags.shape);
export type AgentConfig = z.output<typeof AgentConfig>;

/** Where a master can be reached: the list of base URLs to try in turn. */
export function masterUrls(spec: string): string[] {
  const trimmed = spec.trim();
  if (trimmed.startsWith("zk://")) throw new Error(`--master ${trimmed}: a zk:// master is found through ZooKeeper (the coordination package's master source), not a URL list`);
  if (/^https?:\/\//.test(trimmed)) return [trimmed.replace(/\/+$/, "")];
  const hosts = trimmed.split(",").map((s) => s.trim()).filter(Boolean);
  if (hosts.length === 0) throw new Error("--master is empty; pass host:port, e.g. --master=127.0.0.1:5050");
  return hosts.map((h) => {
    if (!/^[^:/\s]+:\d+$/.test(h)) throw new Error(`--master entry "${h}" is not host:port, e.g. 127.0.0.1:5050`);
    return `http://${h}`;
  });
}

/** The containerizer names the agent was asked for; "mesos" is always present unless only "sim" is. */
export function containerizerNames(spec: string): Array<"mesos" | "docker" | "sim"> {
  const names = spec.split(",").map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (n !== "mesos" && n !== "docker" && n !== "sim") {
      throw new Error(`--containerizers: unknown containerizer "${n}"; use mesos, docker or sim`);
    }
  }
  const set = new Set(names as Array<"mesos" | "docker" | "sim">);
  if (set.size === 1 && set.has("sim")) return ["sim"];
  set.add("mesos");
  return [...set];
}
