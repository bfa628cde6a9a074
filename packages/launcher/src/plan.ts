/**
 * Turns the component table into the concrete processes of one local cluster: instance names,
 * ports, work dirs, log files, resource shares and command lines. Pure: the machine's size, which
 * binaries exist and any port overrides are inputs.
 */
import { join, resolve } from "node:path";
import type { ClusterShape, ComponentSpec, LaunchContext } from "./components.js";
import { agentShares, resourcesFlag, type MachineResources } from "./shares.js";

export interface Instance {
  /** Unique name, e.g. "master", "agent-2". */
  name: string;
  /** The table entry it comes from, e.g. "agent". */
  entry: string;
  spec: ComponentSpec;
  index: number;
  port: number;
  extraPorts: Record<string, number>;
  /** Absolute path of the script run with node. */
  bin: string;
  args: string[];
  workDir: string;
  logFile: string;
  url: string;
  healthUrl: string;
  /** Instances that must be healthy before this one starts. */
  after: string[];
  /** Files to write under `workDir` before each start (path relative to it → content). */
  files: Record<string, string>;
}

export interface PlanInput {
  components: readonly ComponentSpec[];
  shape: ClusterShape;
  home: string;
  /** Repository root, against which relative `bin` paths resolve. */
  root: string;
  host: string;
  containerizers: string;
  machine: MachineResources;
  /** Whether a bin (absolute path) exists; optional entries without one are skipped. */
  available(bin: string): boolean;
  /** Start only these entries (by name); the others are skipped. Default: all. */
  only?: ReadonlySet<string>;
  /** Ports chosen instead of the defaults, by `instance` or `instance:key`. */
  ports?: ReadonlyMap<string, number>;
  /** `zk://…/mesos` of an existing ensemble (`start`); with `shape.ha` the local ensemble's is used. */
  zk?: string;
  quorum?: number;
  /** See `LaunchContext.dnsIp`. */
  dnsIp?: string;
  masterFlags?: readonly string[];
  agentFlags?: readonly string[];
}

export interface Plan {
  instances: Instance[];
  /** Optional entries left out, with why. */
  skipped: { name: string; reason: string }[];
  ctx: LaunchContext;
}

/** Instance names of an entry: the bare name, or name-1 … name-n for replicated entries. */
function instanceNames(spec: ComponentSpec, shape: ClusterShape): string[] {
  if (!spec.instances) return [spec.name];
  const count = spec.instances(shape);
  if (count === 1 && spec.bareWhenOne) return [spec.name];
  return Array.from({ length: count }, (_, i) => `${spec.name}-${i + 1}`);
}

export function planCluster(input: PlanInput): Plan {
  const { components, shape, home, host } = input;
  const unknown = [...(input.only ?? [])].filter((n) => !components.some((c) => c.name === n));
  if (unknown.length) throw new Error(`--only: unknown component(s) ${unknown.join(", ")}; known: ${components.map((c) => c.name).join(", ")}`);
  const localDir = join(home, "local");
  const ports = new Map<string, number>();
  const indexOf = new Map<string, number>();
  for (const spec of components) {
    instanceNames(spec, shape).forEach((name, index) => {
      indexOf.set(name, index);
      const offset = spec.portOffset ? spec.portOffset(shape, index) : index;
      ports.set(name, input.ports?.get(name) ?? spec.port + offset);
      for (const [key, base] of Object.entries(spec.extraPorts ?? {})) ports.set(`${name}:${key}`, input.ports?.get(`${name}:${key}`) ?? base + offset);
    });
  }
  const agentSpecs = components.filter((c) => c.agent).flatMap((c) => instanceNames(c, shape).map((name) => ({ name, role: c.agentRole })));
  const agents = agentSpecs.map((a) => a.name);
  const shares = agentShares(input.machine, agents.length);
  const resources = new Map(agentSpecs.map((a, i) => [a.name, resourcesFlag(shares[i]!, a.role)]));

  const port = (name: string, key?: string): number => {
    const found = ports.get(key ? `${name}:${key}` : name);
    if (found !== undefined) return found;
    // A name outside this plan (e.g. an entry that was not built): its table default.
    const spec = components.find((c) => c.name === name);
    const fallback = key ? spec?.extraPorts?.[key] : spec?.port;
    if (fallback === undefined) throw new Error(`no port known for ${key ? `${name}:${key}` : name}`);
    return fallback;
  };
  const masterSpec = components.find((c) => c.name === "master");
  const masters = masterSpec ? instanceNames(masterSpec, shape) : [];
  const zkSpec = components.find((c) => c.name === "zk");
  const zkMembers = zkSpec && shape.ha ? instanceNames(zkSpec, shape) : [];
  const zk = zkMembers.length ? `zk://${zkMembers.map((m) => `${host}:${port(m)}`).join(",")}/mesos` : input.zk;
  const ctx: LaunchContext = {
    masters,
    zk,
    quorum: input.quorum ?? (shape.ha ? 2 : 1),
    dnsIp: input.dnsIp,
    masterFlags: input.masterFlags ?? [],
    agentFlags: input.agentFlags ?? [],
    home,
    localDir,
    host,
    containerizers: input.containerizers,
    agents,
    workDir: (name) => join(localDir, name),
    port,
    url: (name) => `http://${host}:${port(name)}`,
    resources: (name) => {
      const r = resources.get(name);
      if (!r) throw new Error(`${name} is not an agent of this cluster`);
      return r;
    },
  };

  const skipped: Plan["skipped"] = [];
  const present = new Set<string>();
  for (const spec of components) {
    const bin = resolve(input.root, spec.bin);
    if (input.only && !input.only.has(spec.name)) skipped.push({ name: spec.name, reason: "not in --only" });
    else if (spec.optional && !input.available(bin)) skipped.push({ name: spec.name, reason: `${spec.bin} not built` });
    else present.add(spec.name);
  }
  const instances: Instance[] = [];
  for (const spec of components) {
    if (!present.has(spec.name)) continue;
    // Dependencies on entries that are not part of this cluster are dropped rather than waited for.
    const after = spec.after.filter((a) => present.has(a)).flatMap((a) => instanceNames(components.find((c) => c.name === a)!, shape));
    for (const name of instanceNames(spec, shape)) {
      const index = indexOf.get(name)!;
      const extraPorts = Object.fromEntries(Object.keys(spec.extraPorts ?? {}).map((k) => [k, port(name, k)]));
      instances.push({
        name,
        entry: spec.name,
        spec,
        index,
        port: port(name),
        extraPorts,
        bin: resolve(input.root, spec.bin),
        args: spec.args(ctx, name, index),
        workDir: ctx.workDir(name),
        logFile: join(localDir, "logs", `${name}.log`),
        url: ctx.url(name),
        healthUrl: spec.healthUrl ? spec.healthUrl(ctx, name) : `${ctx.url(name)}${spec.healthPath}`,
        after,
        files: spec.files ? spec.files(ctx, name, index) : {},
      });
    }
  }
  return { instances, skipped, ctx };
}

/** Every port key a plan binds (`instance` and `instance:key`), for choosing free ports instead. */
export function portKeys(plan: Plan): string[] {
  return plan.instances.flatMap((i) => [i.name, ...Object.keys(i.extraPorts).map((k) => `${i.name}:${k}`)]);
}

/** Instances grouped by depth in the dependency graph: depth 0 first. Stopping goes in reverse. */
export function levels(instances: readonly Instance[]): Instance[][] {
  const depth = new Map<string, number>();
  const byName = new Map(instances.map((i) => [i.name, i]));
  const visit = (i: Instance, trail: string[]): number => {
    const known = depth.get(i.name);
    if (known !== undefined) return known;
    if (trail.includes(i.name)) throw new Error(`component dependency cycle: ${[...trail, i.name].join(" → ")}`);
    const d = Math.max(-1, ...i.after.map((a) => (byName.has(a) ? visit(byName.get(a)!, [...trail, i.name]) : -1))) + 1;
    depth.set(i.name, d);
    return d;
  };
  const out: Instance[][] = [];
  for (const i of instances) (out[visit(i, [])] ??= []).push(i);
  return out.filter(Boolean);
}
