/**
 * Pods ride on the apps' machinery: each pod becomes a "run spec" shaped like an AppDefinition (what
 * placement, deployments, the controller, backoff and kills read: summed resources, instances,
 * constraints, roles, upgrade strategy, backoff, kill selection, unreachable strategy, whether health
 * counts) that carries the pod itself in an extra `pod` field. Plans, rollbacks and the Store keep the
 * run spec, so the pod travels with it; `podOf` turns it back into the pod definition as served.
 */
import type { AppDefinition, HealthCheckDef, PodDefinition, PortDefinition } from "@caravel/api";

/** The pod as a run spec carries it: without version and instance count (those live on the run spec). */
export type PodTemplate = Omit<PodDefinition, "version" | "scaling"> & { scaling: { kind: "fixed"; maxInstances?: number | undefined } };

/** A pod's run spec: an AppDefinition plus the pod. */
export type PodRunSpec = AppDefinition & { pod: PodTemplate };

/** True for the run spec of a pod (apps have no `pod` field). */
export const isPodSpec = (spec: AppDefinition | undefined): spec is PodRunSpec => spec !== undefined && typeof (spec as { pod?: unknown }).pod === "object";

const sum = (values: number[]): number => Math.round(values.reduce((a, b) => a + b, 0) * 1000) / 1000;

/** The endpoints that take a host port from offers, in the order placement returns the ports. */
export const hostPortEndpoints = (pod: Pick<PodDefinition, "containers">): { container: string; name: string; hostPort: number }[] =>
  pod.containers.flatMap((c) => c.endpoints.filter((e) => e.hostPort !== undefined).map((e) => ({ container: c.name, name: e.name, hostPort: e.hostPort! })));

/** Builds the run spec of a pod. */
export function podRunSpec(pod: PodDefinition): PodRunSpec {
  const { version, scaling, ...rest } = pod;
  const template: PodTemplate = { ...rest, scaling: { kind: "fixed", ...(scaling.maxInstances !== undefined ? { maxInstances: scaling.maxInstances } : {}) } };
  const r = pod.containers.map((c) => c.resources);
  const e = pod.executorResources;
  // Host ports: requirePorts makes placement take exactly these (0 = any free one), and keeps them out of service ports.
  const portDefinitions: PortDefinition[] = hostPortEndpoints(pod).map((p) => ({ port: p.hostPort, protocol: "tcp", name: p.name, labels: {} }));
  const checked = pod.containers.find((c) => c.healthCheck)?.healthCheck;
  const healthChecks: HealthCheckDef[] = checked
    ? [
        {
          protocol: checked.http ? (checked.http.scheme === "HTTPS" ? "MESOS_HTTPS" : "MESOS_HTTP") : checked.tcp ? "MESOS_TCP" : "COMMAND",
          gracePeriodSeconds: checked.gracePeriodSeconds,
          intervalSeconds: checked.intervalSeconds,
          timeoutSeconds: checked.timeoutSeconds,
          maxConsecutiveFailures: checked.maxConsecutiveFailures,
          delaySeconds: checked.delaySeconds,
          ignoreHttp1xx: false,
          ipProtocol: "IPv4",
        },
      ]
    : [];
  const graces = pod.containers.map((c) => c.lifecycle?.killGracePeriodSeconds).filter((g): g is number => g !== undefined);
  const s = pod.scheduling;
  return {
    id: pod.id,
    env: {},
    instances: scaling.instances,
    cpus: sum([...r.map((x) => x.cpus), e.cpus]),
    mem: sum([...r.map((x) => x.mem), e.mem]),
    disk: sum([...r.map((x) => x.disk), e.disk]),
    gpus: sum(r.map((x) => x.gpus)),
    executor: "",
    constraints: s.placement.constraints.map((c) => (c.value === undefined ? [c.fieldName, c.operator] : [c.fieldName, c.operator, c.value])),
    fetch: [],
    backoffSeconds: s.backoff.backoff,
    backoffFactor: s.backoff.backoffFactor,
    maxLaunchDelaySeconds: s.backoff.maxLaunchDelay,
    healthChecks,
    readinessChecks: [],
    dependencies: [],
    upgradeStrategy: s.upgrade,
    killSelection: s.killSelection,
    unreachableStrategy: s.unreachableStrategy,
    labels: pod.labels,
    ...(s.placement.acceptedResourceRoles.length ? { acceptedResourceRoles: s.placement.acceptedResourceRoles } : {}),
    networks: [{ mode: "host", labels: {} }],
    portDefinitions,
    requirePorts: true,
    secrets: {},
    ...(graces.length ? { taskKillGracePeriodSeconds: Math.max(...graces) } : {}),
    ...(pod.role ? { role: pod.role } : {}),
    ...(version !== undefined ? { version } : {}),
    pod: template,
  };
}

/** The pod definition a run spec stands for (as GET /v2/pods/{id} serves it). */
export function podOf(spec: PodRunSpec): PodDefinition {
  return {
    ...spec.pod,
    scaling: { ...spec.pod.scaling, instances: spec.instances },
    ...(spec.version !== undefined ? { version: spec.version } : {}),
  } as PodDefinition;
}
