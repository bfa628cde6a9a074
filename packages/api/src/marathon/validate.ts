/**
 * Parsing and validation of app definitions into Marathon's 422 answer:
 * `{message: "Object is not valid", details: [{path: "/instances", errors: ["..."]}]}`.
 * Structural problems come from the zod schema; rules that span fields (cmd vs args, ports, health
 * checks, constraints, networks) are checked here. Every message says what to change.
 */
import type { z } from "zod";
import { AppDefinition, CONSTRAINT_OPERATORS, isResident, type Container, type PortDefinition, type AppPortMapping } from "./app.js";
import { normalizeLegacyApp } from "./legacy.js";
import { pathIdProblem, resolvePathId } from "./path-id.js";

export interface ViolationDetail {
  path: string;
  errors: string[];
}

/** Marathon's error body: 422 for invalid objects, 400 for JSON that does not parse. */
export interface MarathonErrorBody {
  message: string;
  details?: ViolationDetail[];
}

export type AppParseResult = { ok: true; app: AppDefinition } | { ok: false; details: ViolationDetail[] };

/** Collects violations by JSON-pointer path. */
export class Violations {
  private readonly byPath = new Map<string, string[]>();
  add(path: string, error: string): void {
    const list = this.byPath.get(path) ?? [];
    if (!list.includes(error)) list.push(error);
    this.byPath.set(path, list);
  }
  get empty(): boolean {
    return this.byPath.size === 0;
  }
  details(): ViolationDetail[] {
    return [...this.byPath].map(([path, errors]) => ({ path, errors }));
  }
}

/** Renders zod issues as Marathon details (`/a/0/b` paths) with readable messages. */
export function zodDetails(error: z.ZodError, prefix = ""): ViolationDetail[] {
  const v = new Violations();
  for (const issue of error.issues) {
    const path = prefix + (issue.path.length ? "/" + issue.path.map(String).join("/") : "") || "/";
    v.add(path, issueMessage(issue));
  }
  return v.details();
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type") {
    const got = (issue as { input?: unknown }).input;
    const hint = issue.message.startsWith("Invalid input") ? "" : ` (${issue.message})`;
    if (got === undefined) return `is required: expected ${issue.expected}${hint}`;
    const kind = got === null ? "null" : Array.isArray(got) ? "array" : typeof got;
    return `expected ${issue.expected}, got ${kind}${hint}`;
  }
  if (issue.code === "invalid_union") return issue.message === "Invalid input" ? "does not match any allowed form" : issue.message;
  return issue.message;
}

export interface ParseAppOptions {
  /** The group relative ids resolve against ("/" by default). */
  base?: string;
  /** JSON-pointer prefix for error paths (e.g. `/apps/3` inside a group or bulk body). */
  pathPrefix?: string;
}

/** Parses a raw app definition (1.5 or legacy form) into a normalised, validated AppDefinition. */
export function parseAppDefinition(raw: unknown, options: ParseAppOptions = {}): AppParseResult {
  const prefix = options.pathPrefix ?? "";
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { ok: false, details: [{ path: prefix || "/", errors: ["expected a JSON object with the app definition"] }] };
  }
  const parsed = AppDefinition.safeParse(normalizeLegacyApp(raw as Record<string, unknown>), { reportInput: true });
  if (!parsed.success) return { ok: false, details: zodDetails(parsed.error, prefix) };
  const v = new Violations();
  const at = (p: string) => prefix + p;
  const idProblem = pathIdProblem(parsed.data.id);
  if (idProblem) v.add(at("/id"), idProblem);
  const app = applyDefaults({ ...parsed.data, id: idProblem ? parsed.data.id : resolvePathId(parsed.data.id, options.base) } as AppDefinition & { portDefinitions?: PortDefinition[] });
  if (!idProblem && app.id === "/") v.add(at("/id"), "an app cannot use the root path '/'; give it a name such as /my-app");
  checkApp(app, v, at);
  return v.empty ? { ok: true, app } : { ok: false, details: v.details() };
}

/** Fills the defaults that depend on other fields (ports by network mode, resident upgrade strategy). */
function applyDefaults(app: AppDefinition & { portDefinitions?: PortDefinition[]; upgradeStrategy?: AppDefinition["upgradeStrategy"] }): AppDefinition {
  const mode = app.networks[0]?.mode ?? "host";
  let portDefinitions: PortDefinition[] = app.portDefinitions ?? [];
  let container: Container | undefined = app.container;
  if (mode === "host") {
    if (app.portDefinitions === undefined) portDefinitions = [{ port: 0, protocol: "tcp", name: "default", labels: {} }];
  } else {
    portDefinitions = [];
    if (container) {
      const base: AppPortMapping[] = container.portMappings ?? [{ containerPort: 0, servicePort: 0, protocol: "tcp", name: "default", labels: {} }];
      const portMappings = base.map((m) => (mode === "container/bridge" && m.hostPort === undefined ? { ...m, hostPort: 0 } : m));
      container = { ...container, portMappings };
    }
  }
  const resident = isResident(app);
  const upgradeStrategy = app.upgradeStrategy ?? (resident ? { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 } : { minimumHealthCapacity: 1, maximumOverCapacity: 1 });
  return { ...app, portDefinitions, upgradeStrategy, ...(container ? { container } : {}) };
}

function checkApp(app: AppDefinition, v: Violations, at: (p: string) => string): void {
  const hasImage = app.container?.docker?.image !== undefined;
  if (app.cmd !== undefined && app.args !== undefined) v.add(at("/"), "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'; it cannot have both cmd and args");
  if (app.cmd === undefined && app.args === undefined && !hasImage) v.add(at("/"), "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container' with docker.image");
  if (app.container?.type === "DOCKER" && !app.container.docker) v.add(at("/container/docker"), "a DOCKER container needs docker.image");
  if (isResident(app) && app.upgradeStrategy.maximumOverCapacity !== 0) v.add(at("/upgradeStrategy/maximumOverCapacity"), "must be 0 for apps with persistent volumes (resident apps)");
  checkNetworks(app, v, at);
  checkPorts(app, v, at);
  app.constraints.forEach((c, i) => {
    const problem = constraintProblem(c);
    if (problem) v.add(at(`/constraints/${i}`), problem);
  });
  checkHealth(app, v, at);
  if (app.readinessChecks.length > 1) v.add(at("/readinessChecks"), "at most one readiness check is supported");
  app.readinessChecks.forEach((r, i) => {
    if (!portNames(app).includes(r.portName)) v.add(at(`/readinessChecks/${i}/portName`), `no port is named '${r.portName}'; name one of the app's ports so (ports: ${portNames(app).join(", ") || "none"})`);
    if (r.timeoutSeconds >= r.intervalSeconds) v.add(at(`/readinessChecks/${i}/timeoutSeconds`), "must be lower than intervalSeconds");
  });
  if (typeof app.unreachableStrategy === "object" && app.unreachableStrategy.inactiveAfterSeconds > app.unreachableStrategy.expungeAfterSeconds) {
    v.add(at("/unreachableStrategy/inactiveAfterSeconds"), "must be less than or equal to expungeAfterSeconds");
  }
  app.dependencies.forEach((d, i) => {
    const problem = pathIdProblem(d);
    if (problem) v.add(at(`/dependencies/${i}`), problem);
  });
  for (const [name, value] of Object.entries(app.env)) {
    if (typeof value === "object" && !(value.secret in app.secrets)) v.add(at(`/env/${name}`), `references secret '${value.secret}', which is not declared in secrets`);
  }
}

function checkNetworks(app: AppDefinition, v: Violations, at: (p: string) => string): void {
  const modes = app.networks.map((n) => n.mode);
  if (modes.length === 0) v.add(at("/networks"), "must name at least one network, e.g. [{\"mode\":\"host\"}]");
  const kinds = new Set(modes);
  if (kinds.size > 1) v.add(at("/networks"), "network modes cannot be mixed: use one host network, one container/bridge network, or container networks only");
  if ((kinds.has("host") || kinds.has("container/bridge")) && modes.length > 1) v.add(at("/networks"), "host and container/bridge networks can only be used alone");
  if (!kinds.has("host") && modes.length > 0 && !app.container) v.add(at("/container"), "container networking needs a container (e.g. {\"type\":\"MESOS\"} or a docker image)");
  app.networks.forEach((n, i) => {
    if (n.mode === "container" && !n.name) v.add(at(`/networks/${i}/name`), "container networks need a name (no default network name is configured)");
  });
}

function checkPorts(app: AppDefinition, v: Violations, at: (p: string) => string): void {
  const names = new Set<string>();
  app.portDefinitions.forEach((p, i) => {
    if (p.name && names.has(p.name)) v.add(at(`/portDefinitions/${i}/name`), `port name '${p.name}' is used twice; names must be unique`);
    if (p.name) names.add(p.name);
  });
  const ports = app.portDefinitions.map((p) => p.port).filter((p) => p !== 0);
  if (new Set(ports).size !== ports.length) v.add(at("/portDefinitions"), "non-zero ports must be unique");
  if (app.requirePorts && app.portDefinitions.some((p) => p.port === 0) && app.networks[0]?.mode === "host") {
    v.add(at("/requirePorts"), "requirePorts needs explicit non-zero ports in portDefinitions");
  }
  (app.container?.portMappings ?? []).forEach((m, i) => {
    if (m.name && names.has(m.name)) v.add(at(`/container/portMappings/${i}/name`), `port name '${m.name}' is used twice; names must be unique`);
    if (m.name) names.add(m.name);
  });
}

function checkHealth(app: AppDefinition, v: Violations, at: (p: string) => string): void {
  const portCount = app.networks[0]?.mode === "host" ? app.portDefinitions.length : (app.container?.portMappings ?? []).length;
  let marathonLevel = 0;
  let mesosLevel = 0;
  app.healthChecks.forEach((h, i) => {
    if (h.protocol === "HTTP" || h.protocol === "HTTPS" || h.protocol === "TCP") marathonLevel++;
    else mesosLevel++;
    if (h.protocol === "COMMAND") {
      if (!h.command) v.add(at(`/healthChecks/${i}/command`), "a COMMAND health check needs command.value");
      return;
    }
    if (h.port === undefined) {
      const index = h.portIndex ?? 0;
      if (index >= portCount) v.add(at(`/healthChecks/${i}/portIndex`), `is ${index} but the app has ${portCount} port(s); use an index below ${portCount} or set port`);
    }
  });
  if (marathonLevel > 0 && mesosLevel > 0) v.add(at("/healthChecks"), "do not mix Marathon-level (HTTP, HTTPS, TCP) and Mesos-level (MESOS_*, COMMAND) health checks");
}

/** Why a constraint `[field, OPERATOR, value?]` is invalid, or undefined. */
export function constraintProblem(c: readonly string[]): string | undefined {
  if (c.length < 2 || c.length > 3) return "a constraint is [field, OPERATOR] or [field, OPERATOR, value]";
  const [field, op, value] = c as [string, string, string | undefined];
  if (!field) return "the constraint field must not be empty (hostname, @zone, @region or an attribute name)";
  if (!(CONSTRAINT_OPERATORS as readonly string[]).includes(op)) return `unknown constraint operator '${op}'; use one of ${CONSTRAINT_OPERATORS.join(", ")}`;
  switch (op) {
    case "LIKE":
    case "UNLIKE":
      if (value === undefined) return `${op} needs a regular expression as its value`;
      try {
        new RegExp(value);
      } catch {
        return `'${value}' is not a valid regular expression`;
      }
      return undefined;
    case "MAX_PER":
      return value !== undefined && /^\d+$/.test(value) ? undefined : "MAX_PER needs a non-negative integer value";
    case "GROUP_BY":
      return value === undefined || value === "" || /^\d+$/.test(value) ? undefined : "GROUP_BY takes an optional integer value";
    case "IS":
      return value === undefined ? "IS needs a value" : undefined;
    default:
      return undefined;
  }
}

/** All port names of an app (portDefinitions or portMappings). */
export const portNames = (app: AppDefinition): string[] =>
  [...app.portDefinitions.map((p) => p.name), ...(app.container?.portMappings ?? []).map((m) => m.name)].filter((n): n is string => !!n);
