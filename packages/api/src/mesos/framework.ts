/** FrameworkInfo (mesos.proto). */
import { z } from "zod";
import { Id, list, num, opt, withDefault } from "../wire.js";
import { Labels } from "./common.js";

export const FRAMEWORK_CAPABILITIES = [
  "REVOCABLE_RESOURCES",
  "TASK_KILLING_STATE",
  "GPU_RESOURCES",
  "SHARED_RESOURCES",
  "PARTITION_AWARE",
  "MULTI_ROLE",
  "RESERVATION_REFINEMENT",
  "REGION_AWARE",
] as const;
export type FrameworkCapability = (typeof FRAMEWORK_CAPABILITIES)[number];

export const FrameworkInfo = z.object({
  user: z.string(),
  name: z.string(),
  id: opt(Id),
  failover_timeout: withDefault(num, 0),
  checkpoint: withDefault(z.boolean(), false),
  role: opt(z.string()),
  roles: list(z.string()),
  hostname: opt(z.string()),
  principal: opt(z.string()),
  webui_url: opt(z.string()),
  // Unknown capability strings are kept out rather than failing the subscription.
  capabilities: list(z.object({ type: z.string() })),
  labels: opt(Labels),
  offer_filters: opt(
    z.record(
      z.string(),
      z.object({
        min_allocatable_resources: opt(
          z.object({ quantities: list(z.object({ quantities: z.record(z.string(), z.object({ value: num })) })) }),
        ),
      }),
    ),
  ),
});
export type FrameworkInfo = z.infer<typeof FrameworkInfo>;

export const hasCapability = (info: Pick<FrameworkInfo, "capabilities">, type: FrameworkCapability): boolean =>
  info.capabilities.some((c) => c.type === type);

/** The roles a framework subscribes with: `roles` for MULTI_ROLE, otherwise `role` (default "*"). */
export const frameworkRoles = (info: FrameworkInfo): string[] =>
  hasCapability(info, "MULTI_ROLE") ? info.roles : [info.role ?? "*"];
