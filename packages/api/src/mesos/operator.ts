/** The v1 operator API of the master (`POST /api/v1`, master/master.proto). */
import { z } from "zod";
import { Id, enumOf, list, nullTolerant, num, opt, withDefault } from "../wire.js";
import { MachineId, QuotaConfig, Resource, WeightInfo } from "./common.js";

export const OPERATOR_CALL_TYPES = [
  "UNKNOWN",
  "GET_HEALTH",
  "GET_FLAGS",
  "GET_VERSION",
  "GET_METRICS",
  "GET_LOGGING_LEVEL",
  "SET_LOGGING_LEVEL",
  "LIST_FILES",
  "READ_FILE",
  "GET_STATE",
  "GET_AGENTS",
  "GET_FRAMEWORKS",
  "GET_EXECUTORS",
  "GET_OPERATIONS",
  "GET_TASKS",
  "GET_ROLES",
  "GET_WEIGHTS",
  "UPDATE_WEIGHTS",
  "GET_MASTER",
  "SUBSCRIBE",
  "RESERVE_RESOURCES",
  "UNRESERVE_RESOURCES",
  "CREATE_VOLUMES",
  "DESTROY_VOLUMES",
  "GROW_VOLUME",
  "SHRINK_VOLUME",
  "GET_MAINTENANCE_STATUS",
  "GET_MAINTENANCE_SCHEDULE",
  "UPDATE_MAINTENANCE_SCHEDULE",
  "START_MAINTENANCE",
  "STOP_MAINTENANCE",
  "DRAIN_AGENT",
  "DEACTIVATE_AGENT",
  "REACTIVATE_AGENT",
  "GET_QUOTA",
  "UPDATE_QUOTA",
  "SET_QUOTA",
  "REMOVE_QUOTA",
  "TEARDOWN",
  "MARK_AGENT_GONE",
] as const;
export type OperatorCallType = (typeof OPERATOR_CALL_TYPES)[number];

export const MaintenanceWindow = z.object({
  machine_ids: list(MachineId),
  unavailability: z.object({
    start: z.object({ nanoseconds: num }),
    duration: opt(z.object({ nanoseconds: num })),
  }),
});
export const MaintenanceSchedule = z.object({ windows: list(MaintenanceWindow) });
export type MaintenanceSchedule = z.infer<typeof MaintenanceSchedule>;

export const OperatorCall = nullTolerant(z.object({
  type: enumOf(OPERATOR_CALL_TYPES),
  get_metrics: opt(z.object({ timeout: opt(z.object({ nanoseconds: num })) })),
  set_logging_level: opt(z.object({ level: num, duration: z.object({ nanoseconds: num }) })),
  list_files: opt(z.object({ path: z.string() })),
  read_file: opt(z.object({ path: z.string(), offset: num, length: opt(num) })),
  update_weights: opt(z.object({ weight_infos: list(WeightInfo) })),
  reserve_resources: opt(z.object({ agent_id: Id, resources: list(Resource), source: list(Resource) })),
  unreserve_resources: opt(z.object({ agent_id: Id, resources: list(Resource) })),
  create_volumes: opt(z.object({ agent_id: Id, volumes: list(Resource) })),
  destroy_volumes: opt(z.object({ agent_id: Id, volumes: list(Resource) })),
  update_maintenance_schedule: opt(z.object({ schedule: MaintenanceSchedule })),
  start_maintenance: opt(z.object({ machines: list(MachineId) })),
  stop_maintenance: opt(z.object({ machines: list(MachineId) })),
  drain_agent: opt(
    z.object({
      agent_id: Id,
      max_grace_period: opt(z.object({ seconds: num, nanos: opt(num) })),
      mark_gone: withDefault(z.boolean(), false),
    }),
  ),
  deactivate_agent: opt(z.object({ agent_id: Id })),
  reactivate_agent: opt(z.object({ agent_id: Id })),
  update_quota: opt(z.object({ force: opt(z.boolean()), quota_configs: list(QuotaConfig) })),
  teardown: opt(z.object({ framework_id: Id })),
  mark_agent_gone: opt(z.object({ agent_id: Id })),
}));
export type OperatorCall = z.infer<typeof OperatorCall>;

export const OPERATOR_EVENT_TYPES = [
  "UNKNOWN",
  "SUBSCRIBED",
  "TASK_ADDED",
  "TASK_UPDATED",
  "AGENT_ADDED",
  "AGENT_REMOVED",
  "FRAMEWORK_ADDED",
  "FRAMEWORK_UPDATED",
  "FRAMEWORK_REMOVED",
  "HEARTBEAT",
] as const;
export type OperatorEventType = (typeof OPERATOR_EVENT_TYPES)[number];

/** Operator stream events are read leniently: consumers pick the fields they need. */
export const OperatorEvent = z.looseObject({ type: z.string() });
export type OperatorEvent = z.infer<typeof OperatorEvent> & Record<string, unknown>;
