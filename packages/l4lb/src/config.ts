/** caravel-l4lb flags. */
import { z } from "zod";
import { BackendAuthFlags } from "@caravel/auth";
import { port, seconds } from "@caravel/runtime";

export const L4lbConfig = z.object({
  http_port: port.default(62080).describe("HTTP port of /v1/vips (dcos-net's REST port), /health, /metrics"),
  port: port.optional().describe("alias of --http_port (caravel-launch passes --port to every component)"),
  listen: z.string().default("127.0.0.1").describe("address of the HTTP listener"),
  master: z
    .string()
    .default("http://127.0.0.1:5050")
    .refine((m) => m.trim() !== "", "must name the master: zk://host:2181/mesos or host:port[,host:port]")
    .describe("zk://host:2181[,host:2181]/mesos (follow the elected leader) or master URL(s), comma separated (host:port or http://host:port; non-leaders redirect to the leader)"),
  refresh_seconds: seconds.default(30).describe("full resync period from /master/state (events keep VIPs current in between)"),
  data_plane: z.enum(["auto", "kernel", "userspace"]).default("auto").describe("kernel (iptables NAT, root) or userspace proxy; auto picks kernel when it works"),
  vip_cidr: z
    .string()
    .default("")
    .describe("pool of named VIP addresses (default 11.0.0.0/8 as root, 127.0.0.0/8 otherwise, as caravel-dns decides); caravel-dns --vip_cidr must match"),
  chain_prefix: z
    .string()
    .regex(/^[A-Z][A-Z0-9]{0,6}$/, "must be 1-7 upper-case letters or digits, starting with a letter")
    .default("CARAVEL")
    .describe("kernel plane: prefix of Caravel's iptables chains (<prefix>-VIPS, <prefix>-VIP-*, <prefix>-SEP-*)"),
  kernel_balance: z.enum(["random", "nth"]).default("random").describe("kernel plane: iptables statistic mode"),
  balance: z.enum(["round_robin", "least_connections"]).default("round_robin").describe("userspace plane: backend choice"),
  drain_seconds: seconds.default(30).describe("userspace plane: how long connections to a removed backend may continue"),
  log_level: z.string().default("info").describe("pino log level"),
  // --iam_url, --service_account_uid, --service_account_key: calls to the master carry the account's token.
}).extend(BackendAuthFlags.shape);
export type L4lbConfig = z.output<typeof L4lbConfig>;


/**
 * The default VIP pool: 11.0.0.0/8 (reachable from bridge containers) as root, whichever plane runs
 * (the userspace proxy then puts the addresses on `lo`), and 127.0.0.0/8 otherwise. caravel-dns
 * applies the same rule, so both agree without configuration when they run as the same user.
 */
export const defaultCidr = (root = process.getuid?.() === 0): string => (root ? "11.0.0.0/8" : "127.0.0.0/8");
