/**
 * The live record store: record contributions (Ops) are reference-counted per name, so an update
 * only touches the tasks whose TaskView changed. Views are immutable and an operator event copies
 * only the map it changes, so when agents and frameworks are the same objects as last time the store
 * diffs the task maps by identity and leaves the rest alone; the global part (leader, agents,
 * frameworks, VIPs) is rebuilt only when one of its inputs moved. The set of existing names (for
 * NXDOMAIN vs NODATA) is reference-counted too, so no update or query walks every name. The result
 * always equals a fresh `generateRecords` of the same view (property-tested). Updates are
 * synchronous, so readers on the event loop never see a half-applied change.
 */
import { isVipLabelKey, type ClusterView, type DnsEnumeration, type TaskView } from "@caravel/api";
import { DCOS_ZONE, globalRecords, taskRecords, type GenerateOptions, type Op } from "./generate.js";
import { zoneOf, type NameEntry, type NameSet, type RecordSet } from "./record-set.js";

interface Entry extends NameEntry {
  readonly counts: Map<string, number>;
}

type EnumTask = DnsEnumeration["frameworks"][number]["tasks"][number];

/** Whether a task's changes can move the VIP table (and so the global records). */
const declaresVips = (task: TaskView | undefined): boolean =>
  task !== undefined && (task.discovery?.ports.some((p) => p.labels.some((l) => isVipLabelKey(l.key))) === true || task.labels.some((l) => l.key.startsWith("VIP_PORT")));

/** Structural equality of JSON-like values (TaskViews are small: a few arrays and strings). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  const ka = Object.keys(a);
  if (Array.isArray(b) || ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

const keyOf = (op: Op): string => (op.srv ? `S ${op.srv.target} ${op.srv.port}` : `${op.ip!.includes(":") ? "6" : "4"} ${op.ip}`);

export class RecordStore {
  private readonly names = new Map<string, Entry>();
  private readonly tasks = new Map<string, Op[]>();
  /** The TaskView each task's records were made from (a resync brings equal copies: reuse them). */
  private readonly views = new Map<string, TaskView>();
  private global: Op[] = [];
  /** Name → how many names it is (or is an ancestor of) inside a zone; zones count once for ever. */
  private readonly ancestors = new Map<string, number>();
  private readonly existing: NameSet;
  private last: ClusterView | undefined;
  private enumeration: DnsEnumeration | undefined;
  private readonly zones: string[];
  /** Bumped on every update (answer caches key on it; also the SOA serial). */
  generation = 0;

  constructor(private readonly options: GenerateOptions) {
    const D = options.domain.toLowerCase().replace(/\.$/, "");
    this.zones = [D, DCOS_ZONE].sort((a, b) => b.length - a.length);
    for (const zone of this.zones) this.ancestors.set(zone, 1);
    const ancestors = this.ancestors;
    this.existing = { has: (name) => ancestors.has(name), [Symbol.iterator]: () => ancestors.keys() };
  }

  /** Counts `name` and its ancestors up to its zone in (+1) or out (-1). */
  private count(name: string, delta: 1 | -1): void {
    const zone = zoneOf(this.zones, name);
    if (!zone) return;
    for (let n = name; n.length > zone.length; n = n.slice(n.indexOf(".") + 1)) {
      const next = (this.ancestors.get(n) ?? 0) + delta;
      if (next > 0) this.ancestors.set(n, next);
      else this.ancestors.delete(n);
    }
  }

  private add(op: Op): void {
    let e = this.names.get(op.name);
    if (!e) {
      e = { a: [], aaaa: [], srv: [], ttl: op.ttl ?? this.options.ttl, counts: new Map() };
      this.names.set(op.name, e);
      this.count(op.name, 1);
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
      this.count(op.name, -1);
    }
  }

  /**
   * Brings the store to `view`. `touched`, when given, names every task that can differ from the
   * last view (the ids of the events applied since); then only those are looked at.
   */
  update(view: ClusterView, touched?: ReadonlySet<string>): void {
    const last = this.last;
    // Agents or frameworks changed (or a resync): every task's records may depend on them.
    const full = !last || view.agents !== last.agents || view.frameworks !== last.frameworks;
    let globalDirty = full || view.leader !== last.leader;
    const diff = (id: string, before: TaskView | undefined, task: TaskView | undefined) => {
      if (before === task) return;
      if (declaresVips(task) || declaresVips(before)) globalDirty = true;
      if (task?.state === "TASK_RUNNING") this.setTask(view, task);
      else this.dropTask(id);
    };
    if (full) {
      const seen = new Set<string>();
      for (const task of view.tasks.values()) {
        if (task.state !== "TASK_RUNNING") continue;
        seen.add(task.id);
        this.setTask(view, task);
      }
      for (const id of this.tasks.keys()) if (!seen.has(id)) this.dropTask(id);
    } else if (view.tasks !== last.tasks && touched) {
      for (const id of touched) diff(id, last.tasks.get(id), view.tasks.get(id));
    } else if (view.tasks !== last.tasks) {
      for (const [id, task] of view.tasks) diff(id, last.tasks.get(id), task);
      for (const [id, before] of last.tasks) if (!view.tasks.has(id)) diff(id, before, undefined);
    }
    if (globalDirty) {
      const global = globalRecords(view, this.options);
      for (const op of global) this.add(op);
      for (const op of this.global) this.remove(op);
      this.global = global;
    }
    this.last = view;
    this.enumeration = undefined;
    this.generation++;
  }

  private setTask(view: ClusterView, fresh: TaskView): void {
    const known = this.views.get(fresh.id);
    // After a resync every TaskView is a new object; an equal one keeps its memoised records.
    const task = known && (known === fresh || sameValue(known, fresh)) ? known : fresh;
    this.views.set(task.id, task);
    const framework = view.frameworks.get(task.frameworkId);
    const ops = taskRecords(task, framework?.name, view.agents.get(task.agentId)?.ip || undefined, this.options);
    const previous = this.tasks.get(task.id);
    if (previous === ops) return;
    for (const op of ops) this.add(op); // add first: a name shared by old and new never blinks
    if (previous) for (const op of previous) this.remove(op);
    this.tasks.set(task.id, ops);
  }

  private dropTask(id: string): void {
    const ops = this.tasks.get(id);
    if (!ops) return;
    for (const op of ops) this.remove(op);
    this.tasks.delete(id);
    this.views.delete(id);
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
      existing: store.existing,
      get enumeration() {
        return store.enumerate();
      },
    };
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
