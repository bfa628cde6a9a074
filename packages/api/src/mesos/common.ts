/** Mesos v1 messages shared by the scheduler, operator and agent APIs (include/mesos/v1/mesos.proto). */
import { z } from "zod";
import { Bytes, Id, enumOf, int, list, num, opt, optEnum, withDefault } from "../wire.js";

export const Label = z.object({ key: z.string(), value: opt(z.string()) });
export const Labels = z.object({ labels: list(Label) });
export type Label = z.infer<typeof Label>;
export type Labels = z.infer<typeof Labels>;

export const ValueType = enumOf(["SCALAR", "RANGES", "SET", "TEXT"]);
export const Scalar = z.object({ value: num });
export const Range = z.object({ begin: int, end: int });
export const Ranges = z.object({ range: list(Range) });
export const ValueSet = z.object({ item: list(z.string()) });
export const Text = z.object({ value: z.string() });
export type Range = z.infer<typeof Range>;

export const Attribute = z.object({
  name: z.string(),
  type: ValueType,
  scalar: opt(Scalar),
  ranges: opt(Ranges),
  set: opt(ValueSet),
  text: opt(Text),
});
export type Attribute = z.infer<typeof Attribute>;

export const ResourceReservation = z.object({
  type: optEnum(["STATIC", "DYNAMIC"]),
  role: opt(z.string()),
  principal: opt(z.string()),
  labels: opt(Labels),
});

export const Volume = z.object({
  container_path: z.string(),
  host_path: opt(z.string()),
  mode: withDefault(enumOf(["RW", "RO"]), "RW"),
  source: opt(
    z.object({
      type: optEnum(["DOCKER_VOLUME", "HOST_PATH", "SANDBOX_PATH", "SECRET", "CSI_VOLUME"]),
      host_path: opt(z.object({ path: z.string() })),
      sandbox_path: opt(z.object({ type: optEnum(["SELF", "PARENT"]), path: z.string() })),
      docker_volume: opt(z.object({ driver: opt(z.string()), name: z.string() })),
    }),
  ),
});
export type Volume = z.infer<typeof Volume>;

export const DiskInfo = z.object({
  persistence: opt(z.object({ id: z.string(), principal: opt(z.string()) })),
  volume: opt(Volume),
  source: opt(
    z.object({
      type: optEnum(["PATH", "MOUNT", "BLOCK", "RAW"]),
      path: opt(z.object({ root: opt(z.string()) })),
      mount: opt(z.object({ root: opt(z.string()) })),
    }),
  ),
});

export const Resource = z.object({
  name: z.string().min(1),
  type: ValueType,
  scalar: opt(Scalar),
  ranges: opt(Ranges),
  set: opt(ValueSet),
  role: opt(z.string()),
  allocation_info: opt(z.object({ role: opt(z.string()) })),
  reservation: opt(ResourceReservation),
  reservations: list(ResourceReservation),
  disk: opt(DiskInfo),
  revocable: opt(z.object({})),
  shared: opt(z.object({})),
  provider_id: opt(Id),
});
export type Resource = z.infer<typeof Resource>;



export const Address = z.object({ hostname: opt(z.string()), ip: opt(z.string()), port: int });
export const URL = z.object({
  scheme: z.string(),
  address: Address,
  path: opt(z.string()),
  query: list(z.object({ key: z.string(), value: opt(z.string()) })),
  fragment: opt(z.string()),
});

export const DomainInfo = z.object({
  fault_domain: opt(
    z.object({ region: z.object({ name: z.string() }), zone: z.object({ name: z.string() }) }),
  ),
});

export const TimeInfo = z.object({ nanoseconds: num });
export const DurationInfo = z.object({ nanoseconds: num });
export type TimeInfo = z.infer<typeof TimeInfo>;
export type DurationInfo = z.infer<typeof DurationInfo>;

export const Unavailability = z.object({ start: TimeInfo, duration: opt(DurationInfo) });

export const Filters = z.object({ refuse_seconds: withDefault(num, 5) });
export type Filters = z.infer<typeof Filters>;

export const MasterInfo = z.object({
  id: z.string(),
  ip: int,
  port: withDefault(int, 5050),
  pid: opt(z.string()),
  hostname: opt(z.string()),
  version: opt(z.string()),
  address: opt(Address),
  domain: opt(DomainInfo),
  capabilities: list(z.object({ type: z.string() })),
});
export type MasterInfo = z.infer<typeof MasterInfo>;

export const AgentInfo = z.object({
  hostname: z.string(),
  port: withDefault(int, 5051),
  resources: list(Resource),
  attributes: list(Attribute),
  id: opt(Id),
  domain: opt(DomainInfo),
});
export type AgentInfo = z.infer<typeof AgentInfo>;

export const Environment = z.object({
  variables: list(
    z.object({
      name: z.string(),
      type: optEnum(["VALUE", "SECRET"]),
      value: opt(z.string()),
      secret: opt(z.unknown()),
    }),
  ),
});

export const Parameter = z.object({ key: z.string(), value: z.string() });

export const MachineId = z.object({ hostname: opt(z.string()), ip: opt(z.string()) });
export type MachineId = z.infer<typeof MachineId>;

export const WeightInfo = z.object({ weight: num, role: z.string() });

export const QuotaConfig = z.object({
  role: z.string(),
  guarantees: opt(z.record(z.string(), Scalar)),
  limits: opt(z.record(z.string(), Scalar)),
});
export type QuotaConfig = z.infer<typeof QuotaConfig>;

export { Bytes, Id };
