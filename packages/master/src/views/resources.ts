/**
 * Resource formats on the wire (mesos-core.md §2): frameworks without RESERVATION_REFINEMENT get the
 * pre-refinement form (`role` + `reservation`); `allocation_info` only for MULTI_ROLE frameworks;
 * operator endpoints get the "endpoint" form with both `role` and `reservations`.
 */
import type { Resource } from "@caravel/api";

function base(r: Resource): Resource {
  const { allocation_info: _a, reservations: _r, ...rest } = r;
  return { ...rest, reservations: [] };
}

export function forFramework(r: Resource, options: { multiRole: boolean; refinement: boolean; allocationRole?: string }): Resource {
  const out = base(r);
  if (options.multiRole && options.allocationRole !== undefined) out.allocation_info = { role: options.allocationRole };
  if (options.refinement) {
    const role = out.role ?? "*";
    delete out.role;
    if (role !== "*") out.reservations = [reservationEntry(r)];
    delete out.reservation;
  }
  return out;
}

export function forEndpoint(r: Resource): Resource {
  const out = base(r);
  out.role = r.role ?? "*";
  if (out.role !== "*") out.reservations = [reservationEntry(r)];
  return out;
}

function reservationEntry(r: Resource): NonNullable<Resource["reservation"]> {
  return r.reservation
    ? { type: "DYNAMIC", role: r.role, principal: r.reservation.principal, labels: r.reservation.labels }
    : { type: "STATIC", role: r.role };
}

export const nanos = (ms: number): { nanoseconds: number } => ({ nanoseconds: Math.round(ms * 1e6) });
