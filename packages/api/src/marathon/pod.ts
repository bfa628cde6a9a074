/**
 * Marathon pod definitions (`/v2/pods`, Marathon 1.5+ JSON form): several containers per instance,
 * launched together as one Mesos task group that shares a network namespace. Field names and
 * defaults follow Marathon's RAML (pod.raml, podContainer.raml, healthCheck.raml, network.raml):
 * container resources default to 1 cpu / 128 MB, the default executor to 0.1 cpu / 32 MB / 10 MB,
 * networks to host. Unknown fields are dropped and `null` means unset, as for apps.
 */
import { z } from "zod";
import { EnvValue, mDef, mList, mOpt, Network, StringMap, UnreachableStrategy, UpgradeStrategy } from "./app.js";

const nonNegative = z.number({ error: "must be a number" }).min(0, "must be greater than or equal to 0");
const portNumber = z.number().int("must be an integer").min(0, "must be between 0 and 65535").max(65535, "must be between 0 and 65535");
/** Container, endpoint and volume names: Marathon's `strings.Name`. */
const Name = z.string({ error: "a name is required" }).regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, "names are lowercase letters, digits and dashes, not starting or ending with a dash");

export const PodResources = z.object({
  cpus: mDef(nonNegative, 1),
  mem: mDef(nonNegative, 128),
  disk: mDef(nonNegative, 0),
  gpus: mDef(z.number().int("must be an integer").min(0, "must be greater than or equal to 0"), 0),
});
export type PodResources = z.output<typeof PodResources>;

export const MesosCommand = z.union([z.object({ shell: z.string().min(1, "shell must not be empty") }), z.object({ argv: z.array(z.string()).min(1, "argv needs at least one element") })], {
  error: 'a command is {"shell": "<command line>"} or {"argv": ["<program>", ...]}',
});
export type MesosCommand = z.output<typeof MesosCommand>;

export const PodEndpoint = z.object({
  name: Name,
  containerPort: mOpt(portNumber),
  hostPort: mOpt(portNumber),
  protocol: mDef(z.array(z.enum(["tcp", "udp"], { error: "protocol entries are tcp or udp" })).min(1, "name at least one protocol"), ["tcp"]),
  labels: StringMap,
  networkNames: mOpt(z.array(z.string())),
});
export type PodEndpoint = z.output<typeof PodEndpoint>;

export const PodHealthCheck = z.object({
  http: mOpt(z.object({ endpoint: Name, path: mDef(z.string(), "/"), scheme: mDef(z.enum(["HTTP", "HTTPS"], { error: "scheme is HTTP or HTTPS" }), "HTTP") })),
  tcp: mOpt(z.object({ endpoint: Name })),
  exec: mOpt(z.object({ command: MesosCommand })),
  gracePeriodSeconds: mDef(nonNegative, 300),
  intervalSeconds: mDef(nonNegative, 60),
  maxConsecutiveFailures: mDef(z.number().int("must be an integer").min(0, "must be greater than or equal to 0"), 3),
  timeoutSeconds: mDef(nonNegative, 20),
  delaySeconds: mDef(nonNegative, 15),
});
export type PodHealthCheck = z.output<typeof PodHealthCheck>;

export const PodArtifact = z.object({
  uri: z.string().min(1, "uri must not be empty"),
  executable: mDef(z.boolean(), false),
  extract: mDef(z.boolean(), true),
  cache: mDef(z.boolean(), false),
  destPath: mOpt(z.string()),
});

export const PodContainer = z.object({
  name: Name,
  resources: mDef(PodResources, { cpus: 1, mem: 128, disk: 0, gpus: 0 }),
  resourceLimits: mOpt(z.record(z.string(), z.union([z.number(), z.literal("unlimited")]))),
  image: mOpt(
    z.object({
      kind: mDef(z.enum(["DOCKER", "APPC", "MESOS"], { error: "image.kind is DOCKER or APPC" }), "DOCKER"),
      id: z.string({ error: "image.id is required, e.g. busybox:1" }).min(1, "image.id must not be empty"),
      forcePull: mDef(z.boolean(), false),
      pullConfig: mOpt(z.unknown()),
    }),
  ),
  exec: mOpt(z.object({ command: MesosCommand, overrideEntrypoint: mOpt(z.boolean()) })),
  endpoints: mList(PodEndpoint),
  healthCheck: mOpt(PodHealthCheck),
  check: mOpt(z.unknown()),
  volumeMounts: mList(z.object({ name: Name, mountPath: z.string().min(1, "mountPath must not be empty"), readOnly: mOpt(z.boolean()) })),
  artifacts: mList(PodArtifact),
  environment: mDef(z.record(z.string(), EnvValue), {}),
  labels: StringMap,
  user: mOpt(z.string()),
  lifecycle: mOpt(z.object({ killGracePeriodSeconds: mOpt(nonNegative) })),
  tty: mOpt(z.boolean()),
});
export type PodContainer = z.output<typeof PodContainer>;

/** A pod volume: `host` (a path on the agent), `persistent`, `secret`, or else ephemeral (sandbox). */
export const PodVolume = z.object({
  name: Name,
  host: mOpt(z.string().regex(/^\//, "host volumes need an absolute path on the agent")),
  persistent: mOpt(z.looseObject({ size: z.number().positive("must be positive"), type: mDef(z.enum(["root", "path", "mount"]), "root") })),
  secret: mOpt(z.string()),
});
export type PodVolume = z.output<typeof PodVolume>;

/** `scheduling.placement.constraints` entries: objects, not the arrays apps use. */
export const PodConstraint = z.object({
  fieldName: z.string({ error: "fieldName is required (hostname, @zone, @region or an attribute)" }),
  operator: z.string({ error: "operator is required (UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER, IS)" }),
  value: mOpt(z.string()),
});

const BACKOFF = { backoff: 1, backoffFactor: 1.15, maxLaunchDelay: 300 };
const UPGRADE = { minimumHealthCapacity: 1, maximumOverCapacity: 1 };
const UNREACHABLE = { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 };

export const PodScheduling = z.object({
  backoff: mDef(
    z.object({
      backoff: mDef(nonNegative, 1),
      backoffFactor: mDef(z.number().min(1, "must be greater than or equal to 1"), 1.15),
      maxLaunchDelay: mDef(nonNegative, 300),
    }),
    BACKOFF,
  ),
  upgrade: mDef(UpgradeStrategy, UPGRADE),
  placement: mDef(z.object({ constraints: mList(PodConstraint), acceptedResourceRoles: mList(z.string().min(1, "roles must not be empty")) }), { constraints: [], acceptedResourceRoles: [] }),
  killSelection: mDef(z.enum(["YOUNGEST_FIRST", "OLDEST_FIRST"], { error: "killSelection must be YOUNGEST_FIRST or OLDEST_FIRST" }), "YOUNGEST_FIRST"),
  unreachableStrategy: mDef(UnreachableStrategy, UNREACHABLE),
});
export type PodScheduling = z.output<typeof PodScheduling>;

export const PodDefinition = z.object({
  id: z.string({ error: "id is required: a path like /group/pod" }).min(1, "id must not be empty"),
  labels: StringMap,
  version: mOpt(z.string()),
  user: mOpt(z.string()),
  environment: mDef(z.record(z.string(), EnvValue), {}),
  secrets: mDef(z.record(z.string(), z.object({ source: z.string() })), {}),
  volumes: mList(PodVolume),
  networks: mDef(z.array(Network), [{ mode: "host", labels: {} }]),
  containers: z.array(PodContainer, { error: "containers is required: a list of at least one container" }).min(1, "a pod needs at least one container"),
  scaling: mDef(
    z.object({
      kind: mDef(z.literal("fixed", { error: "the only scaling kind is fixed" }), "fixed"),
      instances: mDef(z.number({ error: "instances must be a number" }).int("must be an integer").min(0, "must be greater than or equal to 0"), 1),
      maxInstances: mOpt(z.number().int("must be an integer").min(0, "must be greater than or equal to 0")),
    }),
    { kind: "fixed", instances: 1 },
  ),
  scheduling: mDef(PodScheduling, { backoff: BACKOFF, upgrade: UPGRADE, placement: { constraints: [], acceptedResourceRoles: [] }, killSelection: "YOUNGEST_FIRST", unreachableStrategy: UNREACHABLE }),
  executorResources: mDef(z.object({ cpus: mDef(nonNegative, 0.1), mem: mDef(nonNegative, 32), disk: mDef(nonNegative, 10) }), { cpus: 0.1, mem: 32, disk: 10 }),
  role: mOpt(z.string()),
  legacySharedCgroups: mOpt(z.boolean()),
});
/** A pod definition as stored and served (defaults applied, id absolute). */
export type PodDefinition = z.output<typeof PodDefinition>;
