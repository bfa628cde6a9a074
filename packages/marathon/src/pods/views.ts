/**
 * Marathon's PodStatus JSON: the pod's spec, its status word (STABLE, DEGRADED, TERMINAL) and, for
 * each instance, where it runs, its status word and each container's task state, endpoints (with the
 * host port allocated and health) and conditions.
 */
import type { PodDefinition } from "@caravel/api";
import type { Instance } from "../instances/instance.js";
import { hostPortEndpoints, podOf, type PodRunSpec } from "./run-spec.js";
import { instanceStatusWord, podStatusWord } from "./status.js";

const iso = (ms: number | undefined): string => new Date(ms ?? 0).toISOString();

/** Instances the status shows: those Marathon still wants, and any still running. */
export const visibleInstances = (instances: readonly Instance[]): Instance[] => instances.filter((i) => i.goal === "running" || i.state === "TASK_RUNNING" || i.state === "TASK_KILLING");

export function podInstanceView(pod: PodDefinition, i: Instance): Record<string, unknown> {
  const checked = pod.containers.some((c) => c.healthCheck);
  const word = instanceStatusWord(i, checked);
  const ports = new Map(hostPortEndpoints(pod).map((e, n) => [e.name, i.ports[n]]));
  const changed = Math.max(i.startedAt ?? i.stagedAt, ...Object.values(i.tasks ?? {}).map((t) => t.since ?? 0));
  const r = pod.containers.map((c) => c.resources);
  return {
    id: i.instanceId,
    status: word,
    statusSince: iso(changed),
    ...(i.lastMessage ? { message: i.lastMessage } : {}),
    conditions: [],
    agentHostname: i.hostname,
    agentId: i.agentId,
    ...(i.region ? { agentRegion: i.region } : {}),
    ...(i.zone ? { agentZone: i.zone } : {}),
    resources: {
      cpus: r.reduce((a, x) => a + x.cpus, pod.executorResources.cpus),
      mem: r.reduce((a, x) => a + x.mem, pod.executorResources.mem),
      disk: r.reduce((a, x) => a + x.disk, pod.executorResources.disk),
      gpus: r.reduce((a, x) => a + x.gpus, 0),
    },
    networks: i.ipAddresses.length ? [{ addresses: i.ipAddresses.map((a) => a.ipAddress) }] : [],
    containers: pod.containers.map((c) => {
      const t = i.tasks?.[c.name];
      const target = c.healthCheck?.http?.endpoint ?? c.healthCheck?.tcp?.endpoint;
      return {
        name: c.name,
        status: t?.state ?? i.state,
        statusSince: iso(t?.since ?? i.stagedAt),
        ...(t?.message ? { message: t.message } : {}),
        conditions: t?.healthy === undefined ? [] : [{ name: "healthy", value: String(t.healthy), reason: t.healthy ? "health-reported-by-mesos" : "health-check-failed", lastChanged: iso(t.since), lastUpdated: iso(t.since) }],
        containerId: t?.taskId ?? i.taskId,
        endpoints: c.endpoints.map((e) => ({
          name: e.name,
          ...(ports.get(e.name) !== undefined ? { allocatedHostPort: ports.get(e.name) } : {}),
          ...(target === e.name && t?.healthy !== undefined ? { healthy: t.healthy } : {}),
        })),
        resources: c.resources,
        lastUpdated: iso(t?.since ?? i.stagedAt),
        lastChanged: iso(t?.since ?? i.stagedAt),
      };
    }),
    specReference: `/v2/pods${pod.id}::versions/${i.version}`,
    lastUpdated: iso(changed),
    lastChanged: iso(changed),
  };
}

/** PodStatus of a pod (`removing`: its deletion is being carried out). */
export function podStatusView(spec: PodRunSpec, instances: readonly Instance[], removing = false): Record<string, unknown> {
  const pod = podOf(spec);
  const shown = visibleInstances(instances);
  const views = shown.map((i) => podInstanceView(pod, i));
  const status = podStatusWord(removing ? 0 : spec.instances, views.map((v) => String(v.status)), removing);
  const last = Math.max(Date.parse(spec.version ?? "") || 0, ...views.map((v) => Date.parse(String(v["lastChanged"])) || 0));
  return {
    id: pod.id,
    spec: pod,
    status,
    statusSince: iso(last),
    instances: views,
    terminationHistory: [],
    lastUpdated: iso(last),
    lastChanged: iso(last),
  };
}
