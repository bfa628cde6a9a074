/** caravel-dns flags, named after Mesos-DNS's settings where one exists. */
import { z } from "zod";
import { port, seconds } from "@caravel/runtime";
import type { IpSource } from "./records/generate.js";
import { isZkMaster, staticMasterUrls } from "@caravel/coordination";

const IP_SOURCES = ["netinfo", "host", "mesos", "docker"] as const;

export const DnsConfig = z.object({
  port: port.default(8053).describe("DNS port (UDP and TCP)"),
  http_port: port.default(8123).describe("HTTP API port (Mesos-DNS's /v1 API, /health, /metrics)"),
  listen: z.string().default("127.0.0.1").describe("address the DNS and HTTP listeners bind"),
  master: z
    .string()
    .default("http://127.0.0.1:5050")
    .refine((m) => m.trim() !== "", "must name the master: zk://host:2181/mesos or host:port[,host:port]")
    .describe("zk://host:2181[,host:2181]/mesos (follow the elected leader, as Mesos-DNS's zk) or master URL(s), comma separated (host:port or http://host:port; non-leaders redirect to the leader)"),
  domain: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, "must be a lower-case DNS name such as mesos")
    .default("mesos")
    .describe("Mesos-DNS domain"),
  ttl: z.coerce.number().int().min(0).max(86_400).default(60).describe("TTL of records in the domain (VIP names always get 5 s)"),
  ip_sources: z
    .string()
    .default("netinfo,host")
    .refine((s) => s.split(",").every((x) => (IP_SOURCES as readonly string[]).includes(x.trim())), "must list sources among netinfo,host,mesos,docker")
    .describe("order of task IP sources (Mesos-DNS's IPSources)"),
  resolvers: z.string().default("").describe("upstream resolvers, comma separated (default: the nameservers of /etc/resolv.conf)"),
  timeout: seconds.default(5).describe("upstream resolver timeout per try, seconds"),
  authoritative_only: z.coerce.boolean().default(false).describe("answer REFUSED instead of forwarding names outside our zones"),
  refresh_seconds: seconds.default(30).describe("full resync period from /master/state (events keep names current in between)"),
  vip_cidr: z
    .string()
    .default("")
    .describe("pool of named VIP addresses; must equal caravel-l4lb's (default, as there: 11.0.0.0/8 as root, 127.0.0.0/8 otherwise)"),
  dummy_ip: z.string().default("").describe("as root: also answer on <dummy_ip>:53 on a dummy interface caravel-dns (e.g. 198.51.100.1)"),
  workers: z.coerce.number().int().min(1).max(64).default(1).describe("processes sharing the DNS sockets (node:cluster); one per core for the most queries per second"),
  log_level: z.string().default("info").describe("pino log level"),
});
export type DnsConfig = z.output<typeof DnsConfig>;

export const ipSourcesOf = (config: DnsConfig): IpSource[] => config.ip_sources.split(",").map((s) => s.trim() as IpSource);

/** The static master list (empty with zk:// detection, where the leader is found in ZooKeeper). */
export const masterUrls = (config: DnsConfig): string[] => (isZkMaster(config.master) ? [] : staticMasterUrls(config.master));

/** The configuration as Mesos-DNS's `/v1/config` shows it (capitalised keys). */
export const mesosDnsConfigView = (config: DnsConfig, resolvers: readonly string[]): Record<string, unknown> => ({
  Zk: isZkMaster(config.master) ? config.master.trim() : "",
  Masters: masterUrls(config),
  RefreshSeconds: config.refresh_seconds,
  TTL: config.ttl,
  Port: config.port,
  Domain: config.domain,
  Resolvers: resolvers,
  Timeout: config.timeout,
  Listener: config.listen,
  HttpOn: true,
  HttpPort: config.http_port,
  DnsOn: true,
  ExternalOn: !config.authoritative_only,
  RecurseOn: !config.authoritative_only,
  IPSources: ipSourcesOf(config),
  VipCidr: vipCidrOf(config),
  SOAMname: `ns1.${config.domain}.`,
  SOARname: `root.ns1.${config.domain}.`,
  SOARefresh: 60,
  SOARetry: 600,
  SOAExpire: 86400,
  SOAMinttl: config.ttl,
  SetTruncateBit: true,
  EnforceRFC952: false,
});

/** The VIP pool: the flag, or caravel-l4lb's default rule (11.0.0.0/8 as root, else 127.0.0.0/8). */
export const vipCidrOf = (config: DnsConfig, root = process.getuid?.() === 0): string => config.vip_cidr || (root ? "11.0.0.0/8" : "127.0.0.0/8");
