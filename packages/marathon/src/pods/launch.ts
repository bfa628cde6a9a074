/**
 * Builds the Mesos launch of one pod instance: a TaskGroupInfo with one task per container and the
 * DEFAULT executor (executorResources), for an ACCEPT with LAUNCH_GROUP. The resources placement took
 * for the whole instance are split between the executor and the containers; each endpoint's host port
 * goes to the container that declares it. Task ids are `<instanceId>.<containerName>`.
 */
import { taskNameOf, type ExecutorInfo, type PodContainer, type Resource, type TaskGroupInfo, type TaskInfo, type Volume } from "@caravel/api";
import type { PodTaskState } from "../instances/instance.js";
import { roleOf, takePorts, takeScalar } from "../placement/offer.js";
import { hostPortEndpoints, type PodRunSpec } from "./run-spec.js";

export interface PodLaunchSpec {
  spec: PodRunSpec;
  instanceId: string;
  agentId: string;
  hostname: string;
  /** Everything placement took for the instance (summed resources and host ports). */
  resources: Resource[];
  /** Host ports in the order of `hostPortEndpoints`. */
  hostPorts: number[];
  frameworkId?: string | undefined;
}

export interface PodLaunch {
  executor: ExecutorInfo;
  taskGroup: TaskGroupInfo;
  /** Per container name. */
  tasks: Record<string, PodTaskState>;
  /** The first container's task: the instance's task id for everything that wants one. */
  primaryTaskId: string;
}

export const podTaskIdOf = (instanceId: string, container: string): string => `${instanceId}.${container}`;

export function buildPodLaunch(l: PodLaunchSpec): PodLaunch {
  const pod = l.spec.pod;
  const pool = l.resources.map((r) => ({ ...r, ...(r.scalar ? { scalar: { ...r.scalar } } : {}), ...(r.ranges ? { ranges: { range: r.ranges.range.map((g) => ({ ...g })) } } : {}) }));
  const roles = new Set(pool.map(roleOf));
  const take = (c: { cpus: number; mem: number; disk: number; gpus?: number }): Resource[] => [
    ...takeScalar(pool, "cpus", c.cpus, roles),
    ...takeScalar(pool, "mem", c.mem, roles),
    ...takeScalar(pool, "disk", c.disk, roles),
    ...takeScalar(pool, "gpus", c.gpus ?? 0, roles),
  ];
  const ports = new Map<string, number>();
  hostPortEndpoints(pod).forEach((e, i) => ports.set(e.name, l.hostPorts[i] ?? e.hostPort));
  const mode = pod.networks[0]?.mode ?? "host";
  const executor: ExecutorInfo = {
    type: "DEFAULT",
    executor_id: { value: `instance-${l.instanceId}` },
    ...(l.frameworkId ? { framework_id: { value: l.frameworkId } } : {}),
    name: `pod ${l.spec.id}`,
    resources: take(pod.executorResources),
    ...(mode === "container" ? { container: { type: "MESOS", volumes: [], network_infos: pod.networks.map((n) => ({ ip_addresses: [], groups: [], port_mappings: [], ...(n.name ? { name: n.name } : {}) })) } } : {}),
  };
  const tasks: TaskInfo[] = pod.containers.map((c, index) => {
    const own = c.endpoints.map((e) => ports.get(e.name)).filter((p): p is number => p !== undefined);
    const taskId = podTaskIdOf(l.instanceId, c.name);
    const info: TaskInfo = {
      name: c.name,
      task_id: { value: taskId },
      agent_id: { value: l.agentId },
      resources: [...take(c.resources), ...takePorts(pool, own, roles)],
      command: commandOf(l, c, taskId, ports),
      labels: { labels: Object.entries(c.labels).map(([key, value]) => ({ key, value })) },
      discovery: {
        visibility: "FRAMEWORK",
        name: taskNameOf(l.spec.id),
        ports: {
          ports: c.endpoints.flatMap((e) =>
            e.protocol.map((protocol) => ({
              number: mode === "host" ? (ports.get(e.name) ?? 0) : (e.containerPort ?? 0),
              name: e.name,
              protocol,
              labels: { labels: [...Object.entries(e.labels).map(([key, value]) => ({ key, value })), { key: "network-scope", value: mode === "host" ? "host" : "container" }] },
            })),
          ),
        },
      },
    };
    const container = containerOf(l, c, index === 0, ports);
    if (container) info.container = container;
    const check = healthCheckOf(c, l.spec, ports);
    if (check) info.health_check = check;
    const grace = c.lifecycle?.killGracePeriodSeconds;
    if (grace !== undefined) info.kill_policy = { grace_period: { nanoseconds: Math.round(grace * 1e9) } };
    return info;
  });
  return {
    executor,
    taskGroup: { tasks },
    tasks: Object.fromEntries(pod.containers.map((c): [string, PodTaskState] => [c.name, { taskId: podTaskIdOf(l.instanceId, c.name), state: "TASK_STAGING", ...(c.healthCheck ? { checked: true } : {}) }])),
    primaryTaskId: tasks[0]!.task_id.value,
  };
}

const envName = (s: string): string => s.toUpperCase().replace(/[^A-Z0-9_]/g, "_");

/** Pod and container environment plus Marathon's: `ENDPOINT_<NAME>` (and `EP_HOST_`/`EP_CONTAINER_`), `MARATHON_APP_*`. */
export function podEnvironment(l: PodLaunchSpec, c: PodContainer, taskId: string, ports: ReadonlyMap<string, number>): Record<string, string> {
  const pod = l.spec.pod;
  const env: Record<string, string> = {};
  for (const [k, v] of [...Object.entries(pod.environment), ...Object.entries(c.environment)]) if (typeof v === "string") env[k] = v;
  const host = (pod.networks[0]?.mode ?? "host") === "host";
  for (const e of pod.containers.flatMap((x) => x.endpoints)) {
    const hostPort = ports.get(e.name);
    const value = host ? hostPort : e.containerPort;
    if (value !== undefined) env[`ENDPOINT_${envName(e.name)}`] = String(value);
    if (hostPort !== undefined) env[`EP_HOST_${envName(e.name)}`] = String(hostPort);
    if (e.containerPort !== undefined) env[`EP_CONTAINER_${envName(e.name)}`] = String(e.containerPort);
  }
  env["MARATHON_APP_ID"] = l.spec.id;
  env["MARATHON_APP_VERSION"] = l.spec.version ?? "";
  env["MARATHON_CONTAINER_ID"] = c.name;
  env["MARATHON_APP_RESOURCE_CPUS"] = String(c.resources.cpus);
  env["MARATHON_APP_RESOURCE_MEM"] = String(c.resources.mem);
  env["MARATHON_APP_RESOURCE_DISK"] = String(c.resources.disk);
  env["MARATHON_APP_RESOURCE_GPUS"] = String(c.resources.gpus);
  const labels = Object.entries(pod.labels).filter(([k, v]) => k.length <= 512 && v.length <= 512);
  env["MARATHON_APP_LABELS"] = labels.map(([k]) => envName(k)).join(" ");
  for (const [k, v] of labels) env[`MARATHON_APP_LABEL_${envName(k)}`] = v;
  if (c.image) env["MARATHON_APP_DOCKER_IMAGE"] = c.image.id;
  env["MESOS_TASK_ID"] = taskId;
  env["HOST"] = l.hostname;
  return env;
}

function commandOf(l: PodLaunchSpec, c: PodContainer, taskId: string, ports: ReadonlyMap<string, number>): NonNullable<TaskInfo["command"]> {
  const env = podEnvironment(l, c, taskId, ports);
  const command = c.exec?.command;
  const user = c.user ?? l.spec.pod.user;
  return {
    uris: c.artifacts.map((a) => ({ value: a.uri, executable: a.executable, extract: a.extract, cache: a.cache, ...(a.destPath ? { output_file: a.destPath } : {}) })),
    environment: { variables: Object.entries(env).map(([name, value]) => ({ name, type: "VALUE" as const, value })) },
    ...(command && "shell" in command ? { shell: true, value: command.shell, arguments: [] } : command ? { shell: false, value: command.argv[0]!, arguments: command.argv } : { shell: false, arguments: [] }),
    ...(user ? { user } : {}),
  };
}

function containerOf(l: PodLaunchSpec, c: PodContainer, first: boolean, ports: ReadonlyMap<string, number>): TaskInfo["container"] | undefined {
  const pod = l.spec.pod;
  const mode = pod.networks[0]?.mode ?? "host";
  const volumes = c.volumeMounts.flatMap((m): Volume[] => {
    const v = pod.volumes.find((x) => x.name === m.name);
    const mode = m.readOnly ? ("RO" as const) : ("RW" as const);
    if (v?.host) return [{ container_path: m.mountPath, host_path: v.host, mode }];
    // Ephemeral: a directory of the executor's sandbox that every container of the instance mounts.
    if (v && v.persistent === undefined && v.secret === undefined) {
      return [{ container_path: m.mountPath, mode, source: { type: "SANDBOX_PATH" as const, sandbox_path: { type: "PARENT" as const, path: `volumes/${v.name}` } } }];
    }
    return [];
  });
  if (!c.image) return volumes.length ? { type: "MESOS", volumes, network_infos: [] } : undefined;
  // The first container owns the group's network namespace (the agent makes the others join it), so
  // in bridge mode it publishes every endpoint of the pod.
  const mappings =
    mode === "container/bridge" && first
      ? pod.containers.flatMap((x) => x.endpoints).flatMap((e) => {
          const hostPort = ports.get(e.name);
          return hostPort === undefined ? [] : e.protocol.map((protocol) => ({ host_port: hostPort, container_port: e.containerPort || hostPort, protocol }));
        })
      : [];
  return {
    type: "DOCKER",
    volumes,
    network_infos: mode === "container" ? pod.networks.map((n) => ({ ip_addresses: [], groups: [], port_mappings: [], ...(n.name ? { name: n.name } : {}) })) : [],
    docker: {
      image: c.image.id,
      network: mode === "container/bridge" ? "BRIDGE" : mode === "container" ? "USER" : "HOST",
      port_mappings: mappings,
      privileged: false,
      parameters: [],
      force_pull_image: c.image.forcePull,
    },
  };
}

/** A container's health check as a Mesos one: http/tcp on the endpoint's port (host port in host mode). */
function healthCheckOf(c: PodContainer, spec: PodRunSpec, ports: ReadonlyMap<string, number>): TaskInfo["health_check"] | undefined {
  const check = c.healthCheck;
  if (!check) return undefined;
  const host = (spec.pod.networks[0]?.mode ?? "host") === "host";
  const endpoint = spec.pod.containers.flatMap((x) => x.endpoints).find((e) => e.name === (check.http?.endpoint ?? check.tcp?.endpoint));
  const port = endpoint ? (host ? (ports.get(endpoint.name) ?? 0) : (endpoint.containerPort ?? 0)) : 0;
  const common = {
    delay_seconds: check.delaySeconds,
    interval_seconds: check.intervalSeconds,
    timeout_seconds: check.timeoutSeconds,
    consecutive_failures: check.maxConsecutiveFailures,
    grace_period_seconds: check.gracePeriodSeconds,
  };
  if (check.http) return { ...common, type: "HTTP", http: { port, path: check.http.path, scheme: check.http.scheme.toLowerCase(), statuses: [] } };
  if (check.tcp) return { ...common, type: "TCP", tcp: { port } };
  const cmd = check.exec!.command;
  return { ...common, type: "COMMAND", command: "shell" in cmd ? { uris: [], shell: true, value: cmd.shell, arguments: [] } : { uris: [], shell: false, value: cmd.argv[0]!, arguments: cmd.argv } };
}
