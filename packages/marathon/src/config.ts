/** caravel-marathon's flags, with Marathon's names and defaults. */
import { z } from "zod";
import { port } from "@caravel/runtime";

export const MarathonConfig = z.object({
  master: z.string().default("http://127.0.0.1:5050").describe("Mesos master URL(s), comma-separated (http://host:5050)"),
  port: port.optional().describe("HTTP port (alias of --http_port)"),
  http_port: port.default(8080).describe("HTTP port"),
  ip: z.string().default("127.0.0.1").describe("address to listen on"),
  hostname: z.string().default("127.0.0.1").describe("hostname advertised to Mesos and in /v2/leader"),
  work_dir: z.string().default("/tmp/caravel-marathon").describe("directory of the embedded store (ignored with --zk)"),
  zk: z.string().optional().describe("ZooKeeper URL for state, e.g. zk://127.0.0.1:2181/marathon (default: embedded file store in --work_dir)"),
  zk_session_timeout: z.coerce.number().int().min(1000).default(10000).describe("ZooKeeper session timeout in ms (Marathon's unit): how long after a leader dies a standby takes over"),
  framework_name: z.string().default("marathon").describe("Mesos framework name"),
  mesos_user: z.string().default("root").describe("user tasks run as unless an app sets one"),
  mesos_role: z.string().default("slave_public").describe("Mesos role Marathon subscribes with besides \"*\" (public agents' resources are reserved for it)"),
  default_accepted_resource_roles: z.string().default("*").describe("comma-separated roles apps without acceptedResourceRoles may use"),
  failover_timeout: z.coerce.number().min(0).default(604800).describe("seconds Mesos keeps Marathon's tasks while it is away"),
  max_instances_per_offer: z.coerce.number().int().min(1).default(100).describe("launches per offer and round"),
  decline_offer_duration: z.coerce.number().min(0).default(120000).describe("ms to refuse offers declined while nothing waits"),
  reconciliation_interval: z.coerce.number().min(1000).default(600000).describe("ms between task reconciliations"),
  local_port_min: z.coerce.number().int().default(10000).describe("lowest service port"),
  local_port_max: z.coerce.number().int().default(20000).describe("highest service port"),
  log_level: z.string().default("info").describe("pino log level"),
});
export type MarathonConfig = z.output<typeof MarathonConfig>;
