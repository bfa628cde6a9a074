/**
 * Marathon's response shapes: tasks, app info, deployments, the launch queue and its explanation.
 * Schemas are lenient (clients read answers from real Marathon and from Caravel alike).
 */
import { z } from "zod";
import { mDef, mList, mOpt } from "./app.js";

export const HealthCheckResult = z.object({
  alive: z.boolean(),
  consecutiveFailures: mDef(z.number(), 0),
  firstSuccess: mOpt(z.string()),
  lastSuccess: mOpt(z.string()),
  lastFailure: mOpt(z.string()),
  lastFailureCause: mOpt(z.string()),
  instanceId: mOpt(z.string()),
});

export const MarathonTask = z.object({
  id: z.string(),
  appId: z.string(),
  host: z.string(),
  ports: mList(z.number()),
  servicePorts: mList(z.number()),
  ipAddresses: mList(z.object({ ipAddress: z.string(), protocol: z.enum(["IPv4", "IPv6"]) })),
  slaveId: mOpt(z.string()),
  state: z.string(),
  stagedAt: mOpt(z.string()),
  startedAt: mOpt(z.string()),
  version: mOpt(z.string()),
  healthCheckResults: mList(HealthCheckResult),
  region: mOpt(z.string()),
  zone: mOpt(z.string()),
  role: mOpt(z.string()),
});
export type MarathonTask = z.output<typeof MarathonTask>;

export const DeploymentAction = z.object({ action: z.string(), app: mOpt(z.string()), pod: mOpt(z.string()) });
export type DeploymentAction = z.output<typeof DeploymentAction>;

export const ReadinessCheckResult = z.object({
  name: z.string(),
  taskId: z.string(),
  ready: z.boolean(),
  lastResponse: mOpt(z.object({ status: z.number(), contentType: z.string(), body: z.string() })),
});
export type ReadinessCheckResult = z.output<typeof ReadinessCheckResult>;

export const DeploymentInfo = z.object({
  id: z.string(),
  version: z.string(),
  affectedApps: mList(z.string()),
  affectedPods: mList(z.string()),
  steps: z.array(z.object({ actions: z.array(DeploymentAction) })),
  currentActions: mList(DeploymentAction.extend({ readinessCheckResults: mList(ReadinessCheckResult) })),
  currentStep: z.number().int(),
  totalSteps: z.number().int(),
});
export type DeploymentInfo = z.output<typeof DeploymentInfo>;

export const DeploymentResult = z.object({ deploymentId: z.string(), version: z.string() });
export type DeploymentResult = z.output<typeof DeploymentResult>;

export const REJECT_REASONS = [
  "UnfulfilledRole",
  "UnfulfilledConstraint",
  "NoCorrespondingReservationFound",
  "AgentMaintenance",
  "InsufficientCpus",
  "InsufficientMemory",
  "InsufficientDisk",
  "InsufficientGpus",
  "InsufficientPorts",
  "DeclinedScarceResources",
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

const RejectSummary = z.array(z.object({ reason: z.string(), declined: z.number(), processed: z.number() }));

export const QueueItem = z.object({
  app: mOpt(z.looseObject({ id: z.string() })),
  pod: mOpt(z.looseObject({ id: z.string() })),
  count: z.number(),
  role: mOpt(z.string()),
  delay: z.object({ timeLeftSeconds: z.number(), overdue: z.boolean() }),
  since: z.string(),
  processedOffersSummary: z.object({
    processedOffersCount: z.number(),
    unusedOffersCount: z.number(),
    lastUnusedOfferAt: mOpt(z.string()),
    lastUsedOfferAt: mOpt(z.string()),
    rejectSummaryLastOffers: mOpt(RejectSummary),
    rejectSummaryLaunchAttempt: mOpt(RejectSummary),
  }),
  lastUnusedOffers: mOpt(z.array(z.looseObject({ timestamp: z.string(), reason: z.array(z.string()) }))),
});
export type QueueItem = z.output<typeof QueueItem>;

/** The placement filters, in evaluation order; `explain` names the first one that rejected an agent. */
export const PLACEMENT_FILTERS = ["backoff", "maintenance", "role", "constraint", "cpus", "mem", "disk", "gpus", "ports", "image"] as const;
export type PlacementFilter = (typeof PLACEMENT_FILTERS)[number];

/** `GET /v2/queue/{appId}/explain`: why an app's instances are (not) being placed. */
export const ExplainResult = z.object({
  appId: z.string(),
  summary: z.string(),
  waiting: z.number(),
  agents: z.array(
    z.object({
      agentId: z.string(),
      hostname: z.string(),
      fits: z.boolean(),
      rejectedBy: mOpt(z.enum(PLACEMENT_FILTERS)),
      detail: z.string(),
    }),
  ),
  closestFit: mOpt(z.object({ agentId: z.string(), hostname: z.string(), missing: z.array(z.string()) })),
  lastOfferAt: mOpt(z.string()),
  delay: mOpt(z.object({ timeLeftSeconds: z.number(), overdue: z.boolean() })),
});
export type ExplainResult = z.output<typeof ExplainResult>;

export const MarathonInfo = z.looseObject({
  name: z.string(),
  version: z.string(),
  elected: z.boolean(),
  leader: mOpt(z.string()),
  frameworkId: mOpt(z.string()),
  marathon_config: z.record(z.string(), z.unknown()),
  http_config: z.looseObject({ http_port: z.number() }),
});
export type MarathonInfo = z.output<typeof MarathonInfo>;
