/**
 * An immutable, indexed set of DNS records: lower-case names without the trailing dot, each with its
 * A, AAAA and SRV data. `existing` also holds every ancestor of a name inside an authoritative zone,
 * so that an empty non-terminal answers NODATA rather than NXDOMAIN.
 */
import type { DnsEnumeration, TaskView } from "@caravel/api";

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
  ttl: number;
}

export interface RecordSet {
  /** Authoritative zones, longest first. */
  readonly zones: readonly string[];
  readonly names: ReadonlyMap<string, NameEntry>;
  readonly existing: ReadonlySet<string>;
  readonly enumeration: DnsEnumeration;
  readonly size: number;
}

/** The authoritative zone `name` falls in, if any. */
export function zoneOf(zones: readonly string[], name: string): string | undefined {
  return zones.find((z) => name === z || name.endsWith(`.${z}`));
}

interface Owner {
  framework: string;
  task: TaskView;
}

type EnumTask = DnsEnumeration["frameworks"][number]["tasks"][number];

export class RecordSetBuilder {
  private readonly names = new Map<string, NameEntry>();
  private readonly enumeration = new Map<string, Map<string, EnumTask>>();
  private readonly zones: string[];

  constructor(
    zones: readonly string[],
    private readonly ttl: number,
    private readonly valid: (name: string) => boolean,
  ) {
    this.zones = [...new Set(zones)].sort((a, b) => b.length - a.length);
  }

  private entry(name: string, ttl?: number): NameEntry | undefined {
    if (!this.valid(name)) return undefined;
    let e = this.names.get(name);
    if (!e) {
      e = { a: [], aaaa: [], srv: [], ttl: ttl ?? this.ttl };
      this.names.set(name, e);
    } else if (ttl !== undefined) e.ttl = Math.min(e.ttl, ttl);
    return e;
  }

  private record(owner: Owner | undefined, name: string, host: string, rtype: "A" | "AAAA" | "SRV"): void {
    if (!owner) return;
    let tasks = this.enumeration.get(owner.framework);
    if (!tasks) this.enumeration.set(owner.framework, (tasks = new Map()));
    let t = tasks.get(owner.task.id);
    if (!t) tasks.set(owner.task.id, (t = { name: owner.task.name, id: owner.task.id, records: [] }));
    if (!t.records.some((r) => r.name === `${name}.` && r.host === host && r.rtype === rtype)) t.records.push({ name: `${name}.`, host, rtype });
  }

  /** Adds an A (IPv4) or AAAA (IPv6) record. */
  addressTo(name: string, ip: string, owner?: Owner, ttl?: number): void {
    const e = this.entry(name, ttl);
    if (!e || !ip) return;
    const v6 = ip.includes(":");
    const list = v6 ? e.aaaa : e.a;
    if (!list.includes(ip)) list.push(ip);
    this.record(owner, name, ip, v6 ? "AAAA" : "A");
  }

  /** Adds an SRV record (priority 0, weight 1, as Mesos-DNS's default). */
  srv(name: string, target: string, port: number, owner?: Owner): void {
    const e = this.entry(name);
    if (!e || !this.valid(target)) return;
    if (!e.srv.some((s) => s.target === target && s.port === port)) e.srv.push({ target, port, priority: 0, weight: 1 });
    this.record(owner, name, `${target}.:${port}`, "SRV");
  }

  build(): RecordSet {
    const existing = new Set<string>(this.zones);
    for (const name of this.names.keys()) {
      const zone = zoneOf(this.zones, name);
      if (!zone) continue;
      let n = name;
      while (n.length > zone.length && !existing.has(n)) {
        existing.add(n);
        n = n.slice(n.indexOf(".") + 1);
      }
    }
    const frameworks = [...this.enumeration].map(([name, tasks]) => ({ name, tasks: [...tasks.values()] }));
    return { zones: this.zones, names: this.names, existing, enumeration: { frameworks }, size: this.names.size };
  }
}
