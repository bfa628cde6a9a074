/** caravel-master flags. Names follow Mesos' master flags; durations are in seconds unless named otherwise. */
import { z } from "zod";
import { port, seconds } from "@caravel/runtime";

const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, ms: 1e-3, secs: 1, mins: 60, hrs: 3600, days: 86_400, weeks: 604_800 };

/** Parses a Mesos duration ("60secs", "500ms", "2mins"; a bare number is seconds) into seconds. */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|ms|secs|mins|hrs|days|weeks)?\s*$/.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * UNIT_SECONDS[match[2] ?? "secs"]!;
}

/** A Mesos-style duration flag, in seconds once parsed. */
const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const parsed = typeof value === "number" ? value : parseDuration(value);
  if (parsed === undefined || !(parsed >= 0)) {
    ctx.addIssue({ code: "custom", message: `"${value}" is not a duration; write e.g. 60secs, 500ms, 5mins or 0secs` });
    return z.NEVER;
  }
  return parsed;
});

export const MasterConfig = z.object({
  ip: z.string().default("127.0.0.1").describe("address to listen on"),
  advertise_ip: z.string().optional().describe("address other hosts reach this master on (default: --ip)"),
  port: port.default(5050).describe("HTTP port"),
  hostname: z.string().optional().describe("hostname advertised in MasterInfo (default: the advertised IP)"),
  work_dir: z.string().default("/tmp/caravel-master").describe("directory of the embedded store (the registry)"),
  zk: z.string().optional().describe("zk://host:port,.../path for HA (see the HA issue); default: embedded store"),
  quorum: z.coerce.number().int().min(1).default(1).describe("masters that make a quorum (with --zk, ZooKeeper's own quorum keeps the registry)"),
  zk_session_timeout: seconds.default(10).describe("ZooKeeper session timeout in seconds; a leader that loses its session steps down"),
  cluster: z.string().default("caravel").describe("cluster name shown in state"),
  allocation_interval: seconds.default(1).describe("seconds between batch allocations"),
  heartbeat_interval: seconds.default(5).describe("seconds between HEARTBEAT events on scheduler and operator streams"),
  agent_ping_timeout: seconds.default(15).describe("seconds between pings to each agent"),
  max_agent_ping_timeouts: z.coerce.number().int().min(1).default(5).describe("missed pings before an agent is unreachable"),
  agent_reregister_timeout: seconds.default(600).describe("seconds a recovered agent has to re-register after failover"),
  drain_timeout: duration
    .default(60)
    .describe("how long DRAIN_AGENT waits for each framework to accept its inverse offer or move its tasks before killing them (Mesos duration; 0secs kills at once)"),
  offer_timeout: seconds.optional().describe("seconds before an unused offer is rescinded (default: never)"),
  min_allocatable_resources: z.string().default("cpus:0.01|mem:32").describe("offers must satisfy one of these (| separated)"),
  role_sorter: z.enum(["drf", "random"]).default("drf").describe("order of roles: drf or random"),
  max_completed_frameworks: z.coerce.number().int().min(0).default(50),
  max_completed_tasks_per_framework: z.coerce.number().int().min(0).default(1000),
  max_unreachable_tasks_per_framework: z.coerce.number().int().min(0).default(1000),
  max_body_bytes: z.coerce.number().int().min(1024).default(8 * 1024 * 1024).describe("largest accepted request body"),
  log_level: z.string().default("info"),
});
export type MasterConfig = z.infer<typeof MasterConfig>;

/** Parses `cpus:0.01|mem:32` into alternatives `[{cpus:0.01},{mem:32}]`. */
export function parseMinAllocatable(spec: string): Array<Record<string, number>> {
  return spec.split("|").filter(Boolean).map((alternative) => {
    const out: Record<string, number> = {};
    for (const part of alternative.split(";").filter(Boolean)) {
      const [name, value] = part.split(":");
      if (!name || value === undefined || !Number.isFinite(Number(value))) {
        throw new Error(`--min_allocatable_resources: "${part}" is not name:quantity (e.g. cpus:0.01|mem:32)`);
      }
      out[name.trim()] = Number(value);
    }
    return out;
  });
}
