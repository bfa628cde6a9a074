/**
 * Marathon's app definition (v1.5+ form) as a zod schema with Marathon's defaults. Unknown fields are
 * dropped (real Universe templates carry some), `null` means "unset", and the legacy (pre-1.5)
 * networking form is rewritten to the 1.5 form before parsing (see legacy.ts).
 */
import { z } from "zod";

const unset = (v: unknown) => (v === null ? undefined : v);
/** Optional; `null` is unset. */
export const mOpt = <T extends z.ZodType>(schema: T) => z.preprocess(unset, schema.optional());
/** Defaulted; `null` or absent gives the default. */
export const mDef = <T extends z.ZodType>(schema: T, value: z.output<T>) =>
  z.preprocess(unset, schema.optional()).transform((v) => (v === undefined ? value : v)) as unknown as z.ZodType<z.output<T>, unknown>;
/** A list; absent or `null` is empty. */
export const mList = <T extends z.ZodType>(item: T) => mDef(z.array(item), [] as z.output<T>[]);

const nonNegative = (what: string) => z.number({ error: `${what} must be a number` }).min(0, `must be greater than or equal to 0`);
const fraction = z.number().min(0, "must be between 0 and 1").max(1, "is greater than 1");
const portNumber = z.number().int("must be an integer").min(0, "must be between 0 and 65535").max(65535, "must be between 0 and 65535");

export const StringMap = mDef(z.record(z.string(), z.string({ error: "label values must be strings" })), {});

export const PortDefinition = z.object({
  port: mDef(portNumber, 0),
  protocol: mDef(z.enum(["tcp", "udp", "udp,tcp", "tcp,udp"], { error: "protocol must be tcp, udp or udp,tcp" }), "tcp"),
  name: mOpt(z.string().regex(/^[a-z0-9-]+$/, "port names are lowercase letters, digits and dashes")),
  labels: StringMap,
});
export type PortDefinition = z.output<typeof PortDefinition>;

export const AppPortMapping = z.object({
  containerPort: mDef(portNumber, 0),
  hostPort: mOpt(portNumber),
  servicePort: mDef(portNumber, 0),
  protocol: mDef(z.enum(["tcp", "udp", "udp,tcp", "tcp,udp"], { error: "protocol must be tcp, udp or udp,tcp" }), "tcp"),
  name: mOpt(z.string().regex(/^[a-z0-9-]+$/, "port names are lowercase letters, digits and dashes")),
  labels: StringMap,
  networkNames: mOpt(z.array(z.string())),
});
export type AppPortMapping = z.output<typeof AppPortMapping>;

export const Network = z.object({
  mode: mDef(z.enum(["host", "container", "container/bridge"], { error: "mode must be host, container or container/bridge" }), "container"),
  name: mOpt(z.string()),
  labels: StringMap,
});
export type Network = z.output<typeof Network>;

export const AppVolume = z.looseObject({
  containerPath: z.string({ error: "containerPath is required" }).min(1, "containerPath must not be empty"),
  hostPath: mOpt(z.string()),
  mode: mDef(z.enum(["RO", "RW"], { error: "mode must be RO or RW" }), "RW"),
  persistent: mOpt(z.looseObject({ size: z.number().positive("must be positive"), type: mDef(z.enum(["root", "path", "mount"]), "root") })),
  external: mOpt(z.unknown()),
  secret: mOpt(z.string()),
});
export type AppVolume = z.output<typeof AppVolume>;

export const DockerContainer = z.object({
  image: z.string({ error: "docker.image is required" }).min(1, "docker.image must not be empty"),
  privileged: mDef(z.boolean(), false),
  forcePullImage: mDef(z.boolean(), false),
  parameters: mList(z.object({ key: z.string(), value: z.string() })),
  pullConfig: mOpt(z.unknown()),
});

export const Container = z.object({
  type: mDef(z.enum(["DOCKER", "MESOS"], { error: "container.type must be DOCKER or MESOS" }), "DOCKER"),
  docker: mOpt(DockerContainer),
  volumes: mList(AppVolume),
  portMappings: mOpt(z.array(AppPortMapping)),
  linuxInfo: mOpt(z.unknown()),
});
export type Container = z.output<typeof Container>;

export const HEALTH_PROTOCOLS = ["HTTP", "HTTPS", "TCP", "COMMAND", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP"] as const;
export const HealthCheckDef = z.object({
  protocol: mDef(z.enum(HEALTH_PROTOCOLS, { error: `protocol must be one of ${HEALTH_PROTOCOLS.join(", ")}` }), "HTTP"),
  path: mOpt(z.string()),
  portIndex: mOpt(z.number().int().min(0, "must be >= 0")),
  port: mOpt(portNumber),
  command: mOpt(z.object({ value: z.string() })),
  gracePeriodSeconds: mDef(nonNegative("gracePeriodSeconds"), 300),
  intervalSeconds: mDef(nonNegative("intervalSeconds"), 60),
  timeoutSeconds: mDef(nonNegative("timeoutSeconds"), 20),
  maxConsecutiveFailures: mDef(z.number().int().min(0, "must be >= 0"), 3),
  delaySeconds: mDef(nonNegative("delaySeconds"), 15),
  ignoreHttp1xx: mDef(z.boolean(), false),
  ipProtocol: mDef(z.enum(["IPv4", "IPv6"]), "IPv4"),
});
export type HealthCheckDef = z.output<typeof HealthCheckDef>;

export const ReadinessCheckDef = z.object({
  name: mDef(z.string(), "readinessCheck"),
  protocol: mDef(z.enum(["HTTP", "HTTPS"]), "HTTP"),
  path: mDef(z.string(), "/"),
  portName: mDef(z.string(), "http-api"),
  intervalSeconds: mDef(z.number().positive("must be positive"), 30),
  timeoutSeconds: mDef(z.number().positive("must be positive"), 10),
  httpStatusCodesForReady: mDef(z.array(z.number().int()), [200]),
  preserveLastResponse: mDef(z.boolean(), false),
});
export type ReadinessCheckDef = z.output<typeof ReadinessCheckDef>;

export const FetchUri = z.object({
  uri: z.string().min(1, "uri must not be empty"),
  executable: mDef(z.boolean(), false),
  extract: mDef(z.boolean(), true),
  cache: mDef(z.boolean(), false),
  destPath: mOpt(z.string()),
});
export type FetchUri = z.output<typeof FetchUri>;

export const UpgradeStrategy = z.object({
  minimumHealthCapacity: mDef(fraction, 1),
  maximumOverCapacity: mDef(fraction, 1),
});
export type UpgradeStrategy = z.output<typeof UpgradeStrategy>;

export const UnreachableStrategy = z.union([
  z.literal("disabled"),
  z.object({
    inactiveAfterSeconds: mDef(nonNegative("inactiveAfterSeconds"), 0),
    expungeAfterSeconds: mDef(nonNegative("expungeAfterSeconds"), 0),
  }),
]);
export type UnreachableStrategy = z.output<typeof UnreachableStrategy>;

export const EnvValue = z.union([z.string(), z.object({ secret: z.string() })], {
  error: "env values must be strings or {\"secret\": \"<name>\"}",
});

export const Constraint = z.array(z.string({ error: "constraint parts must be strings" }));

/** The app definition in Marathon's 1.5 form, with Marathon's defaults filled in. */
export const AppDefinition = z.object({
  id: z.string({ error: "id is required: a path like /group/app" }),
  cmd: mOpt(z.string().min(1, "cmd must not be empty")),
  args: mOpt(z.array(z.string())),
  user: mOpt(z.string()),
  env: mDef(z.record(z.string(), EnvValue), {}),
  instances: mDef(z.number({ error: "instances must be a number" }).int("must be an integer").min(0, "must be greater than or equal to 0"), 1),
  cpus: mDef(nonNegative("cpus"), 1),
  mem: mDef(nonNegative("mem"), 128),
  disk: mDef(nonNegative("disk"), 0),
  gpus: mDef(z.number().int("must be an integer").min(0, "must be greater than or equal to 0"), 0),
  executor: mDef(z.string(), ""),
  constraints: mList(Constraint),
  fetch: mList(FetchUri),
  backoffSeconds: mDef(nonNegative("backoffSeconds"), 1),
  backoffFactor: mDef(z.number().min(1, "must be greater than or equal to 1"), 1.15),
  maxLaunchDelaySeconds: mDef(nonNegative("maxLaunchDelaySeconds"), 300),
  container: mOpt(Container),
  healthChecks: mList(HealthCheckDef),
  readinessChecks: mList(ReadinessCheckDef),
  check: mOpt(z.unknown()),
  dependencies: mList(z.string()),
  upgradeStrategy: mOpt(UpgradeStrategy),
  killSelection: mDef(z.enum(["YOUNGEST_FIRST", "OLDEST_FIRST"], { error: "killSelection must be YOUNGEST_FIRST or OLDEST_FIRST" }), "YOUNGEST_FIRST"),
  unreachableStrategy: mDef(UnreachableStrategy, { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 }),
  labels: StringMap,
  acceptedResourceRoles: mOpt(z.array(z.string().min(1, "roles must not be empty"))),
  networks: mDef(z.array(Network), [{ mode: "host", labels: {} }]),
  portDefinitions: mOpt(z.array(PortDefinition)),
  requirePorts: mDef(z.boolean(), false),
  taskKillGracePeriodSeconds: mOpt(z.number().min(0, "must be >= 0")),
  secrets: mDef(z.record(z.string(), z.object({ source: z.string() })), {}),
  residency: mOpt(z.looseObject({})),
  tty: mOpt(z.boolean()),
  role: mOpt(z.string()),
  resourceLimits: mOpt(z.record(z.string(), z.union([z.number(), z.literal("unlimited")]))),
  version: mOpt(z.string()),
  versionInfo: mOpt(z.object({ lastScalingAt: z.string(), lastConfigChangeAt: z.string() })),
});
/** An app definition as stored and served (1.5 form, defaults applied, id absolute). */
export type AppDefinition = Omit<z.output<typeof AppDefinition>, "portDefinitions" | "upgradeStrategy"> & {
  portDefinitions: PortDefinition[];
  upgradeStrategy: UpgradeStrategy;
};

export const CONSTRAINT_OPERATORS = ["UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER", "IS"] as const;
export type ConstraintOperator = (typeof CONSTRAINT_OPERATORS)[number];

/** True when the app keeps local persistent volumes (a resident app). */
export const isResident = (app: Pick<AppDefinition, "residency" | "container">): boolean =>
  app.residency !== undefined || (app.container?.volumes ?? []).some((v) => v.persistent !== undefined);

/** The host ports an app asks for in offers, one per port (0 = any). Empty in container mode without hostPort. */
export function requestedHostPorts(app: Pick<AppDefinition, "networks" | "portDefinitions" | "requirePorts" | "container">): number[] {
  const mode = app.networks[0]?.mode ?? "host";
  if (mode === "host") return app.portDefinitions.map((p) => (app.requirePorts ? p.port : 0));
  return (app.container?.portMappings ?? []).filter((m) => m.hostPort !== undefined).map((m) => m.hostPort!);
}
