/** Marathon pod definitions (`/v2/pods`): several containers per instance, launched as a task group. */
import { z } from "zod";
import { mDef, mList, mOpt, StringMap, UpgradeStrategy } from "./app.js";

const Resources = z.object({ cpus: mDef(z.number().min(0), 0.1), mem: mDef(z.number().min(0), 32), disk: mDef(z.number().min(0), 0), gpus: mDef(z.number().int().min(0), 0) });

export const PodContainer = z.object({
  name: z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, "container names are lowercase letters, digits and dashes"),
  resources: Resources,
  image: mOpt(z.object({ kind: mDef(z.enum(["DOCKER", "APPC"]), "DOCKER"), id: z.string(), forcePull: mDef(z.boolean(), false) })),
  exec: mOpt(z.object({ command: z.union([z.object({ shell: z.string() }), z.object({ argv: z.array(z.string()) })]), overrideEntrypoint: mOpt(z.boolean()) })),
  endpoints: mList(z.object({ name: z.string(), containerPort: mOpt(z.number().int()), hostPort: mOpt(z.number().int()), protocol: mDef(z.array(z.string()), ["tcp"]), labels: StringMap })),
  healthCheck: mOpt(z.looseObject({})),
  volumeMounts: mList(z.object({ name: z.string(), mountPath: z.string(), readOnly: mOpt(z.boolean()) })),
  artifacts: mList(z.looseObject({ uri: z.string() })),
  environment: mDef(z.record(z.string(), z.unknown()), {}),
  labels: StringMap,
  user: mOpt(z.string()),
  lifecycle: mOpt(z.object({ killGracePeriodSeconds: mOpt(z.number().min(0)) })),
});

export const PodDefinition = z.object({
  id: z.string(),
  labels: StringMap,
  version: mOpt(z.string()),
  user: mOpt(z.string()),
  environment: mDef(z.record(z.string(), z.unknown()), {}),
  secrets: mDef(z.record(z.string(), z.unknown()), {}),
  volumes: mList(z.looseObject({ name: z.string() })),
  networks: mDef(z.array(z.object({ mode: mDef(z.enum(["host", "container", "container/bridge"]), "container"), name: mOpt(z.string()), labels: StringMap })), [{ mode: "host", labels: {} }]),
  containers: z.array(PodContainer).min(1, "a pod needs at least one container"),
  scaling: mDef(z.object({ kind: mDef(z.literal("fixed"), "fixed"), instances: mDef(z.number().int().min(0), 1), maxInstances: mOpt(z.number().int()) }), { kind: "fixed", instances: 1 }),
  scheduling: mDef(
    z.object({
      backoff: mDef(z.object({ backoff: mDef(z.number().min(0), 1), backoffFactor: mDef(z.number().min(1), 1.15), maxLaunchDelay: mDef(z.number().min(0), 300) }), { backoff: 1, backoffFactor: 1.15, maxLaunchDelay: 300 }),
      upgrade: mDef(UpgradeStrategy, { minimumHealthCapacity: 1, maximumOverCapacity: 1 }),
      placement: mDef(z.object({ constraints: mList(z.looseObject({})), acceptedResourceRoles: mList(z.string()) }), { constraints: [], acceptedResourceRoles: [] }),
      killSelection: mDef(z.enum(["YOUNGEST_FIRST", "OLDEST_FIRST"]), "YOUNGEST_FIRST"),
    }),
    { backoff: { backoff: 1, backoffFactor: 1.15, maxLaunchDelay: 300 }, upgrade: { minimumHealthCapacity: 1, maximumOverCapacity: 1 }, placement: { constraints: [], acceptedResourceRoles: [] }, killSelection: "YOUNGEST_FIRST" },
  ),
  executorResources: mOpt(z.object({ cpus: mDef(z.number(), 0.1), mem: mDef(z.number(), 32), disk: mDef(z.number(), 10) })),
  role: mOpt(z.string()),
});
export type PodDefinition = z.output<typeof PodDefinition>;
