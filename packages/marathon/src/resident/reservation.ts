/**
 * Resident apps (apps with local persistent volumes), the pure part: what a reservation is, how the
 * resources of an instance's first launch are reserved and its volumes created, how a relaunch finds
 * them again in an offer, and how they are given back. Reservations carry Marathon's labels
 * (`marathon_framework_id`, `marathon_task_id`) so that they can be recognised in any offer.
 */
import { addResources, type AppDefinition, type Resource } from "@caravel/api";
import { acceptedRolesOf, fitInstance, type FitResult } from "../placement/fit.js";
import type { Spread } from "../placement/constraints.js";
import { takePorts, takeScalar, type OfferView } from "../placement/offer.js";

export const LABEL_FRAMEWORK = "marathon_framework_id";
export const LABEL_TASK = "marathon_task_id";

/** One instance slot of a resident app: reserved resources and volumes on one agent. */
export interface Reservation {
  /** Id of the instance that made it (the `marathon_task_id` label); stays the same across relaunches. */
  id: string;
  appId: string;
  agentId: string;
  hostname: string;
  attributes: Record<string, string>;
  role: string;
  /** Persistence ids of its volumes, in the order of the app's persistent volumes. */
  volumeIds: string[];
  /** Instance currently using it (absent: free, waiting for a relaunch or a release). */
  usedBy?: string;
  /** Being given back (DESTROY + UNRESERVE sent); forgotten once an offer shows it gone. */
  releasing?: boolean;
  createdAt: number;
}

/** The app's persistent volumes (Marathon's `container.volumes[].persistent`). */
export const persistentVolumesOf = (app: AppDefinition) => (app.container?.volumes ?? []).filter((v) => v.persistent !== undefined);

/** A persistence id safe as a directory name on the agent: `<reservation>.<containerPath>`. */
export const volumeIdOf = (reservationId: string, containerPath: string): string => `${reservationId}.${containerPath.replace(/[^A-Za-z0-9_.-]/g, "_")}`.replace(/^\.+/, "");

const labelsOf = (frameworkId: string, reservationId: string) => ({
  labels: [
    { key: LABEL_FRAMEWORK, value: frameworkId },
    { key: LABEL_TASK, value: reservationId },
  ],
});

/** The reservation id a resource was reserved for by Marathon, if any. */
export function reservationIdOf(r: Resource): string | undefined {
  const labels = r.reservation?.labels?.labels ?? r.reservations.at(-1)?.labels?.labels ?? [];
  return labels.find((l) => l.key === LABEL_TASK)?.value;
}

/** True for resources dynamically reserved by Marathon for a resident instance (never for other apps). */
export const isMarathonReserved = (r: Resource): boolean => reservationIdOf(r) !== undefined;

/** The role an offer's resources were allocated to (MULTI_ROLE offers carry allocation_info). */
export const allocationRoleOf = (offer: OfferView): string | undefined => offer.resources.find((r) => r.allocation_info?.role)?.allocation_info?.role;

export interface FirstLaunch {
  /** RESERVE resources (unreserved pieces of the offer, now for `role` with labels). */
  reserve: Resource[];
  /** CREATE volumes on the reserved disk. */
  create: Resource[];
  /** Resources the task launches with: the reserved ones, the volumes included. */
  task: Resource[];
  hostPorts: number[];
  volumeIds: string[];
}

export interface FirstLaunchContext {
  role: string;
  frameworkId: string;
  reservationId: string;
  now: number;
  spread: Spread;
  delayUntil?: number;
}

/**
 * Plans the first launch of a resident instance on an offer allocated to `ctx.role`: its cpus, mem,
 * ports, disk and every volume's size come from unreserved resources. Consumes from `offer` in place.
 */
export function planFirstLaunch(app: AppDefinition, offer: OfferView, ctx: FirstLaunchContext): FirstLaunch | Extract<FitResult, { fits: false }> {
  if (ctx.role === "*") {
    return { fits: false, filter: "role", detail: "resident apps reserve resources for Marathon's --mesos_role, which is '*' (unreservable); start Marathon with a role such as slave_public", missing: [] };
  }
  if (allocationRoleOf(offer) !== ctx.role) {
    return { fits: false, filter: "role", detail: `resident apps reserve for role ${ctx.role}; this offer is for ${allocationRoleOf(offer) ?? "*"}`, missing: [] };
  }
  const volumes = persistentVolumesOf(app);
  const volumeMb = volumes.reduce((n, v) => n + (v.persistent?.size ?? 0), 0);
  const unreserved = { ...offer, resources: offer.resources.filter((r) => (r.role ?? "*") === "*" && r.reservations.length === 0) };
  const sized: AppDefinition = { ...app, disk: app.disk + volumeMb, acceptedResourceRoles: ["*"] };
  const fit = fitInstance(sized, unreserved, { now: ctx.now, defaultAcceptedRoles: ["*"], spread: ctx.spread, ...(ctx.delayUntil !== undefined ? { delayUntil: ctx.delayUntil } : {}) });
  if (!fit.fits) return fit;
  const any = acceptedRolesOf({ acceptedResourceRoles: ["*"] }, ["*"]);
  const pieces = [
    ...takeScalar(offer.resources, "cpus", app.cpus, any),
    ...takeScalar(offer.resources, "mem", app.mem, any),
    ...takeScalar(offer.resources, "gpus", app.gpus, any),
    ...takePorts(offer.resources, fit.hostPorts, any),
  ];
  const diskPieces = takeScalar(offer.resources, "disk", app.disk + volumeMb, any);
  const reservation = { labels: labelsOf(ctx.frameworkId, ctx.reservationId) };
  const reserved = (r: Resource): Resource => ({ ...r, role: ctx.role, reservation, reservations: [], allocation_info: { role: ctx.role } });
  const reserve = [...pieces, ...diskPieces].map(reserved);
  const volumeIds = volumes.map((v) => volumeIdOf(ctx.reservationId, v.containerPath));
  const create: Resource[] = volumes.map((v, i) => ({
    name: "disk",
    type: "SCALAR",
    scalar: { value: v.persistent!.size },
    role: ctx.role,
    reservation,
    reservations: [],
    allocation_info: { role: ctx.role },
    disk: { persistence: { id: volumeIds[i]! }, volume: { container_path: v.containerPath, mode: v.mode === "RO" ? "RO" : "RW" } },
  }));
  const plainDisk: Resource[] = app.disk > 0 ? [{ name: "disk", type: "SCALAR", scalar: { value: app.disk }, role: ctx.role, reservation, reservations: [], allocation_info: { role: ctx.role } }] : [];
  return { reserve, create, task: [...pieces.map(reserved), ...plainDisk, ...create], hostPorts: fit.hostPorts, volumeIds };
}

/**
 * The resources of `reservationId` in an offer, if they are all there (its volumes included): a
 * relaunch takes exactly these. Host ports are the reserved ones, in ascending order.
 */
export function reservedInOffer(offer: OfferView, reservation: Pick<Reservation, "id" | "volumeIds">): { resources: Resource[]; hostPorts: number[] } | undefined {
  const mine = offer.resources.filter((r) => reservationIdOf(r) === reservation.id);
  const volumes = new Set(mine.map((r) => r.disk?.persistence?.id).filter((id): id is string => id !== undefined));
  if (!reservation.volumeIds.every((id) => volumes.has(id))) return undefined;
  const hostPorts = mine.filter((r) => r.name === "ports").flatMap((r) => (r.ranges?.range ?? []).flatMap((g) => Array.from({ length: g.end - g.begin + 1 }, (_, k) => g.begin + k)));
  return { resources: mine, hostPorts: hostPorts.sort((a, b) => a - b) };
}

/** DESTROY of the volumes then UNRESERVE of everything the reservation holds in this offer. */
export function releaseOperations(offer: OfferView, reservationId: string): { destroy: Resource[]; unreserve: Resource[] } | undefined {
  const mine = offer.resources.filter((r) => reservationIdOf(r) === reservationId);
  if (mine.length === 0) return undefined;
  const destroy = mine.filter((r) => r.disk?.persistence !== undefined);
  const bases = mine.map((r) => {
    if (!r.disk?.persistence) return r;
    const { disk: _disk, ...rest } = r;
    return rest as Resource;
  });
  const role = mine[0]!.allocation_info?.role;
  const unreserve = addResources([], bases).map((r) => ({ ...r, ...(role ? { allocation_info: { role } } : {}) }));
  return { destroy, unreserve };
}
