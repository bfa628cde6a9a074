/**
 * Parsing and validation of pod definitions into Marathon's 422 details. The zod schema checks the
 * structure; the rules that span fields (unique names, endpoints by network mode, health checks that
 * name an endpoint, mounts that name a volume, constraints) are checked here, each message saying
 * what to change.
 */
import { CONSTRAINT_OPERATORS } from "./app.js";
import { pathIdProblem, resolvePathId } from "./path-id.js";
import { PodDefinition, type PodContainer } from "./pod.js";
import { constraintProblem, Violations, zodDetails, type ViolationDetail } from "./validate.js";

export type PodParseResult = { ok: true; pod: PodDefinition } | { ok: false; details: ViolationDetail[] };

/** Parses a raw pod definition into a validated PodDefinition with Marathon's defaults. */
export function parsePodDefinition(raw: unknown, options: { base?: string; pathPrefix?: string } = {}): PodParseResult {
  const prefix = options.pathPrefix ?? "";
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { ok: false, details: [{ path: prefix || "/", errors: ["expected a JSON object with the pod definition"] }] };
  }
  const parsed = PodDefinition.safeParse(raw, { reportInput: true });
  if (!parsed.success) return { ok: false, details: zodDetails(parsed.error, prefix) };
  const v = new Violations();
  const at = (p: string) => prefix + p;
  const idProblem = pathIdProblem(parsed.data.id);
  if (idProblem) v.add(at("/id"), idProblem);
  const pod = withEndpointDefaults({ ...parsed.data, id: idProblem ? parsed.data.id : resolvePathId(parsed.data.id, options.base) });
  if (!idProblem && pod.id === "/") v.add(at("/id"), "a pod cannot use the root path '/'; give it a name such as /my-pod");
  checkPod(pod, v, at);
  return v.empty ? { ok: true, pod } : { ok: false, details: v.details() };
}

/** In container/bridge networking a missing hostPort means "any" (0), as for app port mappings. */
function withEndpointDefaults(pod: PodDefinition): PodDefinition {
  if (pod.networks[0]?.mode !== "container/bridge") return pod;
  return { ...pod, containers: pod.containers.map((c) => ({ ...c, endpoints: c.endpoints.map((e) => (e.hostPort === undefined ? { ...e, hostPort: 0 } : e)) })) };
}

/** The pod's network mode (host unless it names container networks or the bridge). */
export const podNetworkMode = (pod: Pick<PodDefinition, "networks">): "host" | "container" | "container/bridge" => pod.networks[0]?.mode ?? "host";

function checkPod(pod: PodDefinition, v: Violations, at: (p: string) => string): void {
  const seen = new Set<string>();
  pod.containers.forEach((c, i) => {
    if (seen.has(c.name)) v.add(at(`/containers/${i}/name`), `container name '${c.name}' is used twice; names must be unique within the pod`);
    seen.add(c.name);
  });
  const modes = pod.networks.map((n) => n.mode);
  if (modes.length === 0) v.add(at("/networks"), 'must name at least one network, e.g. [{"mode":"host"}]');
  if (new Set(modes).size > 1) v.add(at("/networks"), "network modes cannot be mixed: use one host network, one container/bridge network, or container networks only");
  if ((modes.includes("host") || modes.includes("container/bridge")) && modes.length > 1) v.add(at("/networks"), "host and container/bridge networks can only be used alone");
  pod.networks.forEach((n, i) => {
    if (n.mode === "container" && !n.name) v.add(at(`/networks/${i}/name`), "container networks need a name (no default network name is configured)");
    if (n.mode !== "container" && n.name) v.add(at(`/networks/${i}/name`), `only container networks have a name; remove it for mode ${n.mode}`);
  });
  const mode = podNetworkMode(pod);
  const endpointNames = new Set<string>();
  const volumeNames = new Set<string>();
  pod.volumes.forEach((vol, i) => {
    if (volumeNames.has(vol.name)) v.add(at(`/volumes/${i}/name`), `volume name '${vol.name}' is used twice`);
    volumeNames.add(vol.name);
    if ([vol.host, vol.persistent, vol.secret].filter((x) => x !== undefined).length > 1) v.add(at(`/volumes/${i}`), "a volume is one of host, persistent, secret or ephemeral (name only)");
    // Said plainly rather than accepted and ignored: these need reservations or a secret store.
    if (vol.persistent !== undefined) v.add(at(`/volumes/${i}/persistent`), "persistent volumes are not supported in pods by Caravel; use a resident app, or a host or ephemeral volume");
    if (vol.secret !== undefined) v.add(at(`/volumes/${i}/secret`), "secret volumes are not supported by Caravel; use a host volume or an environment variable");
  });
  const hostPorts = new Set<number>();
  pod.containers.forEach((c, ci) => {
    const p = (s = "") => at(`/containers/${ci}${s}`);
    c.endpoints.forEach((e, ei) => {
      if (endpointNames.has(e.name)) v.add(p(`/endpoints/${ei}/name`), `endpoint name '${e.name}' is used twice; endpoint names must be unique within the pod`);
      endpointNames.add(e.name);
      if (mode === "host") {
        if (e.hostPort === undefined) v.add(p(`/endpoints/${ei}/hostPort`), "is required in host networking (0 picks any free port)");
        if (e.containerPort !== undefined) v.add(p(`/endpoints/${ei}/containerPort`), "is only for container networking; in host networking the task listens on hostPort ($ENDPOINT_<NAME>)");
      } else if (e.containerPort === undefined) v.add(p(`/endpoints/${ei}/containerPort`), `is required in ${mode} networking`);
      if (e.hostPort !== undefined && e.hostPort !== 0) {
        if (hostPorts.has(e.hostPort)) v.add(p(`/endpoints/${ei}/hostPort`), `host port ${e.hostPort} is used by two endpoints`);
        hostPorts.add(e.hostPort);
      }
    });
    c.volumeMounts.forEach((m, mi) => {
      if (!volumeNames.has(m.name)) v.add(p(`/volumeMounts/${mi}/name`), `no pod volume is named '${m.name}'; declare it in volumes (names: ${[...volumeNames].join(", ") || "none"})`);
    });
    if (c.image?.kind === "APPC") v.add(p("/image/kind"), "APPC images are not supported; use a DOCKER image");
    if (!c.exec && !c.image) v.add(p(), "a container needs exec.command, an image, or both");
    if (c.exec && "shell" in c.exec.command && c.exec.overrideEntrypoint === false) v.add(p("/exec/overrideEntrypoint"), "cannot be false with command.shell");
    checkHealth(c, p, v);
    secretRefs(c.environment, pod.secrets, (name) => v.add(p(`/environment/${name}`), `references a secret that is not declared in the pod's secrets`));
  });
  pod.containers.forEach((c, ci) => {
    const check = c.healthCheck;
    const endpoint = check?.http?.endpoint ?? check?.tcp?.endpoint;
    if (endpoint !== undefined && !endpointNames.has(endpoint)) {
      v.add(at(`/containers/${ci}/healthCheck/${check?.http ? "http" : "tcp"}/endpoint`), `no endpoint is named '${endpoint}'; use one of ${[...endpointNames].join(", ") || "(none: declare an endpoint)"}`);
    }
  });
  pod.scheduling.placement.constraints.forEach((c, i) => {
    const problem = constraintProblem(c.value === undefined ? [c.fieldName, c.operator] : [c.fieldName, c.operator, c.value]);
    if (problem) v.add(at(`/scheduling/placement/constraints/${i}`), problem.replace("a constraint is [field, OPERATOR] or [field, OPERATOR, value]", `a constraint is {fieldName, operator, value?} with operator one of ${CONSTRAINT_OPERATORS.join(", ")}`));
  });
  const u = pod.scheduling.unreachableStrategy;
  if (typeof u === "object" && u.inactiveAfterSeconds > u.expungeAfterSeconds) v.add(at("/scheduling/unreachableStrategy/inactiveAfterSeconds"), "must be less than or equal to expungeAfterSeconds");
  const { instances, maxInstances } = pod.scaling;
  if (maxInstances !== undefined && instances > maxInstances) v.add(at("/scaling/instances"), `must be less than or equal to maxInstances (${maxInstances})`);
  secretRefs(pod.environment, pod.secrets, (name) => v.add(at(`/environment/${name}`), "references a secret that is not declared in the pod's secrets"));
}

function checkHealth(c: PodContainer, p: (s?: string) => string, v: Violations): void {
  const check = c.healthCheck;
  if (!check) return;
  const kinds = [check.http, check.tcp, check.exec].filter((k) => k !== undefined).length;
  if (kinds !== 1) v.add(p("/healthCheck"), "name exactly one kind of check: http {endpoint, path}, tcp {endpoint} or exec {command}");
}

function secretRefs(env: Record<string, unknown>, secrets: Record<string, unknown>, report: (name: string) => void): void {
  for (const [name, value] of Object.entries(env)) {
    if (typeof value === "object" && value !== null && !(String((value as { secret?: unknown }).secret) in secrets)) report(name);
  }
}
