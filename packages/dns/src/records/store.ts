/**
 * The live record store: record contributions (Ops) are reference-counted per name, so an update
 * only touches the tasks whose TaskView changed (TaskViews are immutable and `taskRecords` returns
 * the same array while a task is unchanged) plus the small global part. A task resolves within
 * milliseconds of its event even with thousands of tasks; the result always equals a fresh
 * `generateRecords` of the same view (property-tested). Updates are synchronous, so readers on the
 * event loop never see a half-applied change.
 */
import type { ClusterView, DnsEnumeration } from "@caravel/api";
import { DCOS_ZONE, globalRecords, taskRecords, type GenerateOptions, type Op } from "./generate.js";
import { zoneOf, type NameEntry, type RecordSet } from "./record-set.js";

interface Entry extends NameEntry {
  readonly counts: Map<string, number>;
}

type EnumTask = DnsEnumeration["frameworks"][number]["tasks"][number];

const keyOf = (op: Op): string => (op.srv ? `S ${op.srv.target} ${op.srv.port}` : `${op.ip!.includes(":") ? "6" : "4"} ${op.ip}`);

export class RecordStore {
  private readonly names = new Map<string, Entry>();
  private readonly tasks = new Map<string, Op[]>();
  private global: Op[] = [];
  private existing: Set<string> | undefined;
  private enumeration: DnsEnumeration | undefined;
  private readonly zones: string[];
  /** Bumped on every update (answer caches key on it; also the SOA serial). */
  generation = 0;

  constructor(private readonly options: GenerateOptions) {
    const D = options.domain.toLowerCase().replace(/\.$/, "");
    this.zones = [D, DCOS_ZONE].sort((a, b) => b.length - a.length);
  }

  private add(op: Op): void {
    let e = this.names.get(op.name);
    if (!e) {
      e = { a: [], aaaa: [], srv: [], ttl: op.ttl ?? this.options.ttl, counts: new Map() };
      this.names.set(op.name, e);
      this.existing = undefined;
    }
    const key = keyOf(op);
    const count = e.counts.get(key) ?? 0;
    e.counts.set(key, count + 1);
    if (count > 0) return;
    if (op.srv) e.srv.push({ target: op.srv.target, port: op.srv.port, priority: 0, weight: 1 });
    else (key[0] === "6" ? e.aaaa : e.a).push(op.ip!);
  }

  private remove(op: Op): void {
    const e = this.names.get(op.name);
    if (!e) return;
    const key = keyOf(op);
    const count = e.counts.get(key) ?? 0;
    if (count > 1) return void e.counts.set(key, count - 1);
    e.counts.delete(key);
    if (op.srv) {
      const i = e.srv.findIndex((s) => s.target === op.srv!.target && s.port === op.srv!.port);
      if (i >= 0) e.srv.splice(i, 1);
    } else {
      const list = key[0] === "6" ? e.aaaa : e.a;
      const i = list.indexOf(op.ip!);
      if (i >= 0) list.splice(i, 1);
    }
    if (e.counts.size === 0) {
      this.names.delete(op.name);
      this.existing = undefined;
    }
  }

  /** Brings the store to `view`. */
  update(view: ClusterView): void {
    const seen = new Set<string>();
    for (const task of view.tasks.values()) {
      if (task.state !== "TASK_RUNNING") continue;
      seen.add(task.id);
      const framework = view.frameworks.get(task.frameworkId);
      const ops = taskRecords(task, framework?.name, view.agents.get(task.agentId)?.ip || undefined, this.options);
      const previous = this.tasks.get(task.id);
      if (previous === ops) continue;
      for (const op of ops) this.add(op); // add first: a name shared by old and new never blinks
      if (previous) for (const op of previous) this.remove(op);
      this.tasks.set(task.id, ops);
    }
    for (const [id, ops] of this.tasks) {
      if (seen.has(id)) continue;
      for (const op of ops) this.remove(op);
      this.tasks.delete(id);
    }
    const global = globalRecords(view, this.options);
    for (const op of global) this.add(op);
    for (const op of this.global) this.remove(op);
    this.global = global;
    this.enumeration = undefined;
    this.generation++;
  }

  /** A live read view of the store. */
  records(): RecordSet {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const store = this;
    return {
      zones: store.zones,
      names: store.names,
      get size() {
        return store.names.size;
      },
      get existing() {
        return store.existingNames();
      },
      get enumeration() {
        return store.enumerate();
      },
    };
  }

  private existingNames(): Set<string> {
    if (this.existing) return this.existing;
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
    return (this.existing = existing);
  }

  private enumerate(): DnsEnumeration {
    if (this.enumeration) return this.enumeration;
    const frameworks = new Map<string, EnumTask[]>();
    for (const ops of this.tasks.values()) {
      const owner = ops.find((op) => op.owner)?.owner;
      if (!owner) continue;
      const records: EnumTask["records"] = [];
      for (const op of ops) {
        if (!op.owner) continue;
        const host = op.srv ? `${op.srv.target}.:${op.srv.port}` : op.ip!;
        const rtype = op.srv ? "SRV" : op.ip!.includes(":") ? "AAAA" : "A";
        if (!records.some((r) => r.name === `${op.name}.` && r.host === host)) records.push({ name: `${op.name}.`, host, rtype });
      }
      const list = frameworks.get(owner.framework) ?? [];
      list.push({ name: owner.task.name, id: owner.task.id, records });
      frameworks.set(owner.framework, list);
    }
    return (this.enumeration = { frameworks: [...frameworks].map(([name, tasks]) => ({ name, tasks })) });
  }
}
