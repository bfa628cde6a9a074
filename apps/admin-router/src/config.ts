/** Flags of caravel-admin-router (Admin Router's settings under Mesos-style snake_case names). */
import { z } from "zod";
import { port } from "@caravel/runtime";

const url = (what: string) => z.string().url(`must be a URL such as ${what}`).optional();

export const RouterConfig = z.object({
  port: port.default(8000).describe("port to listen on (0 = any free port)"),
  ip: z.string().default("127.0.0.1").describe("address to listen on"),
  tls: z.coerce.boolean().default(false).describe("serve HTTPS (with --tls_cert/--tls_key, or a self-signed certificate generated into --work_dir)"),
  tls_cert: z.string().optional().describe("PEM certificate file for HTTPS"),
  tls_key: z.string().optional().describe("PEM private key file for HTTPS"),
  master: z
    .string()
    .default("http://127.0.0.1:5050")
    .describe("Mesos master URL(s) or host:port, comma-separated (leader found through /master/redirect), or zk://host:2181/mesos (leader from the election)"),
  marathon: url("http://127.0.0.1:8080").default("http://127.0.0.1:8080").describe("Marathon URL"),
  dns_http: url("http://127.0.0.1:8123").default("http://127.0.0.1:8123").describe("caravel-dns HTTP API URL"),
  universe: url("http://127.0.0.1:7070").default("http://127.0.0.1:7070").describe("caravel-universe (Cosmos API) URL"),
  console: url("http://127.0.0.1:3000").describe("web console URL; a placeholder page is served when unset"),
  zk: z
    .string()
    .regex(/^zk:\/\//, "must be a ZooKeeper URL such as zk://10.0.0.1:2181,10.0.0.2:2181/caravel")
    .optional()
    .describe("keep IAM state, keys and audit in ZooKeeper (shared by several routers); default: files under --work_dir"),
  work_dir: z.string().default(".caravel/admin-router").describe("directory for the embedded Store (IAM state, keys, audit) and generated files"),
  bootstrap_service_accounts: z
    .preprocess((v) => (v === "false" || v === "0" ? false : v), z.coerce.boolean())
    .default(true)
    .describe("import the service accounts published under <store>/bootstrap/service-accounts/<uid> ({uid, public_key, description}; watched). Whoever can write the Store (ZooKeeper) can then create accounts: firewall ZooKeeper to the cluster"),
  auth: z.coerce.boolean().default(true).describe("require tokens (false: everyone is a superuser, as oauth_enabled=false in DC/OS)"),
  token_ttl: z.coerce.number().int().min(60).default(5 * 24 * 3600).describe("lifetime of issued tokens, in seconds"),
  login_max_failures_per_uid: z.coerce.number().int().min(1).default(5).describe("failed logins per uid within the window before 429"),
  login_max_failures_per_client: z.coerce.number().int().min(1).default(20).describe("failed logins per client address within the window before 429"),
  login_window: z.coerce.number().int().min(1).default(300).describe("login rate-limit window, in seconds"),
  admin_password: z.coerce.string().optional().describe("password of the first admin (uid admin) on first start; generated and printed when unset"),
  cluster_id: z.string().optional().describe("cluster id for /metadata (generated and stored when unset)"),
  public_ip: z.string().default("127.0.0.1").describe("PUBLIC_IPV4 reported by /metadata"),
  workers: z.coerce.number().int().min(1).max(64).default(1).describe("router processes sharing the port (node:cluster); IAM changes reach every process within 0.5 s"),
  log_level: z.string().default("info").describe("pino log level"),
});
export type RouterConfig = z.output<typeof RouterConfig>;
