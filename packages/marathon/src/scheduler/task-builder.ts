/**
 * Builds the Mesos TaskInfo for one app instance placed on an offer: name, ids, resources, command,
 * container, environment (`$PORT0`…, `MARATHON_APP_*`), health check, kill policy and discovery info
 * (port labels such as VIP_0 travel there, which is how DNS and the load balancer see them).
 */
import { appTaskIdOf, taskNameOf, type AppDefinition, type HealthCheckDef, type Resource, type TaskInfo } from "@caravel/api";

export interface TaskSpec {
  app: AppDefinition;
  instanceId: string;
  incarnation: number;
  agentId: string;
  hostname: string;
  resources: Resource[];
  hostPorts: number[];
  servicePorts: number[];
}

export function buildTaskInfo(spec: TaskSpec): TaskInfo {
  const { app } = spec;
  const taskId = appTaskIdOf(spec.instanceId, spec.incarnation);
  const mode = app.networks[0]?.mode ?? "host";
  const env = environmentOf(spec, taskId);
  const info: TaskInfo = {
    name: taskNameOf(app.id),
    task_id: { value: taskId },
    agent_id: { value: spec.agentId },
    resources: spec.resources,
    command: {
      uris: app.fetch.map((f) => ({ value: f.uri, executable: f.executable, extract: f.extract, cache: f.cache, ...(f.destPath ? { output_file: f.destPath } : {}) })),
      environment: { variables: Object.entries(env).map(([name, value]) => ({ name, type: "VALUE" as const, value })) },
      shell: app.cmd !== undefined,
      ...(app.cmd !== undefined ? { value: app.cmd } : {}),
      arguments: app.args ?? [],
      ...(app.user ? { user: app.user } : {}),
    },
    labels: { labels: Object.entries(app.labels).map(([key, value]) => ({ key, value })) },
    discovery: {
      visibility: "FRAMEWORK",
      name: taskNameOf(app.id),
      ports: { ports: discoveryPorts(app, spec.hostPorts, mode) },
    },
  };
  if (app.container) {
    const bridge = mode === "container/bridge";
    const mappings = (app.container.portMappings ?? []).filter((m) => m.hostPort !== undefined);
    info.container = {
      type: app.container.type,
      volumes: app.container.volumes
        .filter((v) => v.hostPath !== undefined || v.persistent === undefined)
        .map((v) => ({ container_path: v.containerPath, mode: v.mode, ...(v.hostPath ? { host_path: v.hostPath } : {}) })),
      network_infos: mode === "container" ? app.networks.map((n) => ({ ip_addresses: [], groups: [], port_mappings: [], ...(n.name ? { name: n.name } : {}) })) : [],
      ...(app.container.docker
        ? app.container.type === "DOCKER"
          ? {
              docker: {
                image: app.container.docker.image,
                network: bridge ? ("BRIDGE" as const) : mode === "container" ? ("USER" as const) : ("HOST" as const),
                port_mappings: bridge
                  ? mappings.map((m, i) => ({ host_port: spec.hostPorts[i] ?? m.hostPort!, container_port: m.containerPort || (spec.hostPorts[i] ?? 0), protocol: m.protocol }))
                  : [],
                privileged: app.container.docker.privileged,
                parameters: app.container.docker.parameters,
                force_pull_image: app.container.docker.forcePullImage,
              },
            }
          : { mesos: { image: { type: "DOCKER" as const, docker: { name: app.container.docker.image } } } }
        : {}),
    };
  }
  const check = app.healthChecks[0];
  if (check) info.health_check = mesosHealthCheck(check, spec.hostPorts, app);
  if (app.taskKillGracePeriodSeconds !== undefined) info.kill_policy = { grace_period: { nanoseconds: Math.round(app.taskKillGracePeriodSeconds * 1e9) } };
  return info;
}

/** `$PORT0…`, `$PORT`, `$PORTS`, `$PORT_<NAME>`, `MARATHON_APP_*`, `MESOS_TASK_ID`, `HOST`, plus the app's env. */
export function environmentOf(spec: TaskSpec, taskId: string): Record<string, string> {
  const { app } = spec;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(app.env)) if (typeof value === "string") env[name] = value;
  const names = app.networks[0]?.mode === "host" ? app.portDefinitions.map((p) => p.name) : (app.container?.portMappings ?? []).filter((m) => m.hostPort !== undefined).map((m) => m.name);
  spec.hostPorts.forEach((port, i) => {
    env[`PORT${i}`] = String(port);
    const name = names[i];
    if (name) env[`PORT_${name.toUpperCase().replace(/[^A-Z0-9_]/g, "_")}`] = String(port);
  });
  if (spec.hostPorts.length) {
    env["PORT"] = String(spec.hostPorts[0]);
    env["PORTS"] = spec.hostPorts.join(",");
  }
  env["MARATHON_APP_ID"] = app.id;
  env["MARATHON_APP_VERSION"] = app.version ?? "";
  if (app.container?.docker?.image) env["MARATHON_APP_DOCKER_IMAGE"] = app.container.docker.image;
  env["MARATHON_APP_RESOURCE_CPUS"] = String(app.cpus);
  env["MARATHON_APP_RESOURCE_MEM"] = String(app.mem);
  env["MARATHON_APP_RESOURCE_DISK"] = String(app.disk);
  env["MARATHON_APP_RESOURCE_GPUS"] = String(app.gpus);
  const labels = Object.entries(app.labels).filter(([k, v]) => k.length <= 512 && v.length <= 512);
  env["MARATHON_APP_LABELS"] = labels.map(([k]) => k.replace(/[^A-Za-z0-9_]/g, "_")).join(" ");
  for (const [k, v] of labels) env[`MARATHON_APP_LABEL_${k.replace(/[^A-Za-z0-9_]/g, "_").toUpperCase()}`] = v;
  env["MESOS_TASK_ID"] = taskId;
  env["HOST"] = spec.hostname;
  return env;
}

function discoveryPorts(app: AppDefinition, hostPorts: number[], mode: string) {
  const scope = mode === "host" ? "host" : "container";
  const defs =
    mode === "host"
      ? app.portDefinitions.map((p, i) => ({ number: hostPorts[i] ?? p.port, name: p.name, protocol: p.protocol, labels: p.labels }))
      : (app.container?.portMappings ?? []).map((m, i) => ({ number: mode === "container/bridge" ? (hostPorts[i] ?? m.hostPort ?? 0) : m.containerPort, name: m.name, protocol: m.protocol, labels: m.labels }));
  return defs.flatMap((d) =>
    d.protocol.split(",").map((protocol) => ({
      number: d.number,
      ...(d.name ? { name: d.name } : {}),
      protocol,
      labels: { labels: [...Object.entries(d.labels).map(([key, value]) => ({ key, value })), { key: "network-scope", value: scope }] },
    })),
  );
}

/** Marathon health checks become Mesos ones on the task: HTTP → HTTP, TCP → TCP, COMMAND → COMMAND. */
export function mesosHealthCheck(check: HealthCheckDef, hostPorts: number[], app: AppDefinition): NonNullable<TaskInfo["health_check"]> {
  const mode = app.networks[0]?.mode ?? "host";
  const index = check.portIndex ?? 0;
  const mapping = app.container?.portMappings?.[index];
  const port = check.port ?? (mode === "container" ? (mapping?.containerPort ?? 0) : (hostPorts[index] ?? 0));
  const common = {
    delay_seconds: check.delaySeconds,
    interval_seconds: check.intervalSeconds,
    timeout_seconds: check.timeoutSeconds,
    consecutive_failures: check.maxConsecutiveFailures,
    grace_period_seconds: check.gracePeriodSeconds,
  };
  switch (check.protocol) {
    case "COMMAND":
      return { ...common, type: "COMMAND", command: { uris: [], shell: true, value: check.command?.value ?? "true", arguments: [] } };
    case "TCP":
    case "MESOS_TCP":
      return { ...common, type: "TCP", tcp: { port } };
    default:
      return {
        ...common,
        type: "HTTP",
        http: { port, path: check.path ?? "/", scheme: check.protocol.endsWith("HTTPS") ? "https" : "http", statuses: [] },
      };
  }
}
