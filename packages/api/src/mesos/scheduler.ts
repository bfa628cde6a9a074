/** The v1 scheduler API: Call (request) and Event (stream) types (scheduler/scheduler.proto). */
import { z } from "zod";
import { Bytes, Id, enumOf, int, list, nullTolerant, opt } from "../wire.js";
import { AgentInfo, Attribute, DomainInfo, Filters, MasterInfo, Resource, URL, Unavailability } from "./common.js";
import { FrameworkInfo } from "./framework.js";
import { ExecutorInfo, TaskGroupInfo, TaskInfo, TaskStatus } from "./task.js";
import { KillPolicy } from "./task.js";

export const OPERATION_TYPES = [
  "UNKNOWN",
  "LAUNCH",
  "LAUNCH_GROUP",
  "RESERVE",
  "UNRESERVE",
  "CREATE",
  "DESTROY",
  "GROW_VOLUME",
  "SHRINK_VOLUME",
  "CREATE_DISK",
  "DESTROY_DISK",
] as const;

export const Operation = z.object({
  type: enumOf(OPERATION_TYPES),
  id: opt(Id),
  launch: opt(z.object({ task_infos: list(TaskInfo) })),
  launch_group: opt(z.object({ executor: ExecutorInfo, task_group: TaskGroupInfo })),
  reserve: opt(z.object({ resources: list(Resource), source: list(Resource) })),
  unreserve: opt(z.object({ resources: list(Resource) })),
  create: opt(z.object({ volumes: list(Resource) })),
  destroy: opt(z.object({ volumes: list(Resource) })),
});
export type Operation = z.infer<typeof Operation>;

export const CALL_TYPES = [
  "UNKNOWN",
  "SUBSCRIBE",
  "TEARDOWN",
  "ACCEPT",
  "DECLINE",
  "ACCEPT_INVERSE_OFFERS",
  "DECLINE_INVERSE_OFFERS",
  "REVIVE",
  "KILL",
  "SHUTDOWN",
  "ACKNOWLEDGE",
  "ACKNOWLEDGE_OPERATION_STATUS",
  "RECONCILE",
  "RECONCILE_OPERATIONS",
  "MESSAGE",
  "REQUEST",
  "SUPPRESS",
  "UPDATE_FRAMEWORK",
] as const;
export type CallType = (typeof CALL_TYPES)[number];

const OfferConstraints = z.unknown();

export const Call = nullTolerant(z.object({
  framework_id: opt(Id),
  type: enumOf(CALL_TYPES),
  subscribe: opt(
    z.object({
      framework_info: FrameworkInfo,
      suppressed_roles: list(z.string()),
      offer_constraints: opt(OfferConstraints),
    }),
  ),
  accept: opt(z.object({ offer_ids: list(Id), operations: list(Operation), filters: opt(Filters) })),
  decline: opt(z.object({ offer_ids: list(Id), filters: opt(Filters) })),
  accept_inverse_offers: opt(z.object({ inverse_offer_ids: list(Id), filters: opt(Filters) })),
  decline_inverse_offers: opt(z.object({ inverse_offer_ids: list(Id), filters: opt(Filters) })),
  revive: opt(z.object({ roles: list(z.string()) })),
  suppress: opt(z.object({ roles: list(z.string()) })),
  kill: opt(z.object({ task_id: Id, agent_id: opt(Id), kill_policy: opt(KillPolicy) })),
  shutdown: opt(z.object({ executor_id: Id, agent_id: Id })),
  acknowledge: opt(z.object({ agent_id: Id, task_id: Id, uuid: Bytes })),
  acknowledge_operation_status: opt(
    z.object({ agent_id: opt(Id), resource_provider_id: opt(Id), uuid: Bytes, operation_id: Id }),
  ),
  reconcile: opt(z.object({ tasks: list(z.object({ task_id: Id, agent_id: opt(Id) })) })),
  reconcile_operations: opt(z.object({ operations: list(z.object({ operation_id: Id, agent_id: opt(Id) })) })),
  message: opt(z.object({ agent_id: Id, executor_id: Id, data: Bytes })),
  request: opt(z.object({ requests: list(z.object({ agent_id: opt(Id), resources: list(Resource) })) })),
  update_framework: opt(
    z.object({
      framework_info: FrameworkInfo,
      suppressed_roles: list(z.string()),
      offer_constraints: opt(OfferConstraints),
    }),
  ),
}));
export type Call = z.infer<typeof Call>;

export const Offer = z.object({
  id: Id,
  framework_id: Id,
  agent_id: Id,
  hostname: z.string(),
  url: opt(URL),
  domain: opt(DomainInfo),
  resources: list(Resource),
  attributes: list(Attribute),
  executor_ids: list(Id),
  unavailability: opt(Unavailability),
  allocation_info: opt(z.object({ role: opt(z.string()) })),
});
export type Offer = z.infer<typeof Offer>;

export const InverseOffer = z.object({
  id: Id,
  url: opt(URL),
  framework_id: Id,
  agent_id: opt(Id),
  unavailability: Unavailability,
  resources: list(Resource),
});
export type InverseOffer = z.infer<typeof InverseOffer>;

export const EVENT_TYPES = [
  "UNKNOWN",
  "SUBSCRIBED",
  "OFFERS",
  "INVERSE_OFFERS",
  "RESCIND",
  "RESCIND_INVERSE_OFFER",
  "UPDATE",
  "UPDATE_OPERATION_STATUS",
  "MESSAGE",
  "FAILURE",
  "ERROR",
  "HEARTBEAT",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const Event = nullTolerant(z.object({
  type: enumOf(EVENT_TYPES),
  subscribed: opt(
    z.object({ framework_id: Id, heartbeat_interval_seconds: opt(z.number()), master_info: opt(MasterInfo) }),
  ),
  offers: opt(z.object({ offers: list(Offer) })),
  inverse_offers: opt(z.object({ inverse_offers: list(InverseOffer) })),
  rescind: opt(z.object({ offer_id: Id })),
  rescind_inverse_offer: opt(z.object({ inverse_offer_id: Id })),
  update: opt(z.object({ status: TaskStatus })),
  update_operation_status: opt(z.object({ status: z.unknown() })),
  message: opt(z.object({ agent_id: Id, executor_id: Id, data: Bytes })),
  failure: opt(z.object({ agent_id: opt(Id), executor_id: opt(Id), status: opt(int) })),
  error: opt(z.object({ message: z.string() })),
}));
export type Event = z.infer<typeof Event>;

export { AgentInfo };
