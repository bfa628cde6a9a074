/**
 * The read side of the records: lower-case names without the trailing dot, each with its A, AAAA and
 * SRV data. `existing` also holds every ancestor of a name inside an authoritative zone, so that an
 * empty non-terminal answers NODATA rather than NXDOMAIN.
 */
import type { DnsEnumeration } from "@caravel/api";

export interface Srv {
  readonly target: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}

export interface NameEntry {
  readonly a: string[];
  readonly aaaa: string[];
  readonly srv: Srv[];
  readonly ttl: number;
}

/** Membership and iteration, without copying the store's own bookkeeping. */
export interface NameSet extends Iterable<string> {
  has(name: string): boolean;
}

export interface RecordSet {
  /** Authoritative zones, longest first. */
  readonly zones: readonly string[];
  readonly names: ReadonlyMap<string, NameEntry>;
  /** Every name and its ancestors inside a zone, and the zones themselves (kept current incrementally). */
  readonly existing: NameSet;
  /** Mesos-DNS's `/v1/enumerate` view (computed on first use). */
  readonly enumeration: DnsEnumeration;
  readonly size: number;
}

/** The authoritative zone `name` falls in, if any. */
export function zoneOf(zones: readonly string[], name: string): string | undefined {
  return zones.find((z) => name === z || name.endsWith(`.${z}`));
}

