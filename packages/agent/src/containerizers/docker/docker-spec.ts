/**
 * Pure translation of a LaunchSpec into the Docker engine's create options, following Mesos' Docker
 * containerizer (mesos-core.md §2, §5.3):
 * - command: shell=true → Cmd ["/bin/sh","-c",value] (handed to any ENTRYPOINT as arguments);
 *   shell=false → Cmd [value, ...arguments] keeping the image's ENTRYPOINT; no value → image default;
 * - the sandbox is bind-mounted at /mnt/mesos/sandbox, which is the working directory and
 *   MESOS_SANDBOX inside; relative volume container paths live under it;
 * - BRIDGE/USER port mappings set both ExposedPorts and PortBindings (the engine ignores bindings for
 *   ports the image does not EXPOSE); a mapping without host_port takes the task's offered port in order;
 * - `Init: true` so SIGTERM reaches the task; labels name task, framework, agent and container so a
 *   restarted agent can find its containers.
 */
import type Docker from "dockerode";
import type { LaunchSpec } from "../types.js";
import { LaunchError } from "../types.js";

export const SANDBOX_IN_CONTAINER = "/mnt/mesos/sandbox";
export const LABEL = {
  taskId: "caravel.task_id",
  frameworkId: "caravel.framework_id",
  agentId: "caravel.agent_id",
  containerId: "caravel.container_id",
} as const;

export interface DockerSpecOptions {
  /** Host address port bindings listen on (the agent's IP); default all interfaces. */
  hostIp?: string;
  /** Use a hard CFS quota (cpus × period) besides cpu shares. */
  cpuQuota?: boolean;
  /** Docker id of the container named by spec.networkOf, already resolved by the caller. */
  networkOfDockerId?: string;
}

export interface DockerCreatePlan {
  options: Docker.ContainerCreateOptions;
  /** DockerInfo.parameters that have no obvious HostConfig field (logged by the caller). */
  ignoredParameters: string[];
}

/** The Docker container name for a Caravel container id, as Mesos names its own (`mesos-<id>`). */
export const dockerName = (containerId: string): string => `mesos-${containerId}`;

export function dockerCreatePlan(spec: LaunchSpec, opts: DockerSpecOptions = {}): DockerCreatePlan {
  const docker = spec.task.container?.docker;
  if (!docker) throw new LaunchError("REASON_CONTAINER_LAUNCH_FAILED", "container.docker is missing: a Docker task needs container.docker.image");
  const command = spec.task.command;
  let Cmd: string[] | undefined;
  if (command?.value !== undefined && command.value !== "") {
    Cmd = command.shell !== false ? ["/bin/sh", "-c", command.value] : [command.value, ...(command.arguments ?? [])];
  } else if (command?.shell === false && (command.arguments ?? []).length > 0) {
    Cmd = [...command.arguments];
  }
  const env = { ...spec.env, MESOS_SANDBOX: SANDBOX_IN_CONTAINER };
  const labels: Record<string, string> = {};
  for (const label of spec.task.labels?.labels ?? []) labels[label.key] = label.value ?? "";
  Object.assign(labels, {
    [LABEL.taskId]: spec.task.task_id.value,
    [LABEL.frameworkId]: spec.frameworkId,
    [LABEL.agentId]: spec.agentId,
    [LABEL.containerId]: spec.containerId,
  });
  const binds = [`${spec.sandbox}:${SANDBOX_IN_CONTAINER}`];
  for (const v of spec.volumes) {
    const target = v.containerPath.startsWith("/") ? v.containerPath : `${SANDBOX_IN_CONTAINER}/${v.containerPath}`;
    binds.push(`${v.hostPath}:${target}:${v.readOnly ? "ro" : "rw"}`);
  }
  const host: Docker.HostConfig = { Init: true, Binds: binds, Privileged: docker.privileged === true };
  if (spec.limits.memMb > 0) {
    host.Memory = Math.round(spec.limits.memMb * 1024 * 1024);
    host.MemorySwap = host.Memory; // no swap: exceeding the limit is an OOM, as in Mesos
  }
  if (spec.limits.cpus > 0) {
    host.CpuShares = Math.max(2, Math.round(spec.limits.cpus * 1024));
    if (opts.cpuQuota) {
      host.CpuPeriod = 100_000;
      host.CpuQuota = Math.max(1000, Math.round(spec.limits.cpus * 100_000));
    }
  }
  const options: Docker.ContainerCreateOptions = {
    name: dockerName(spec.containerId),
    Image: docker.image,
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Labels: labels,
    WorkingDir: SANDBOX_IN_CONTAINER,
    HostConfig: host,
  };
  if (Cmd) options.Cmd = Cmd;
  if (spec.task.container?.hostname) options.Hostname = spec.task.container.hostname;

  if (spec.networkOf !== undefined) {
    if (!opts.networkOfDockerId) {
      throw new LaunchError("REASON_CONTAINER_LAUNCH_FAILED", `cannot join the network of container ${spec.networkOf}: it is not running`);
    }
    // Members of a task group share the first one's namespace; ports and DNS belong to that one.
    host.NetworkMode = `container:${opts.networkOfDockerId}`;
  } else {
    host.NetworkMode = networkMode(spec);
    if (host.NetworkMode !== "host" && host.NetworkMode !== "none") {
      const ports = portBindings(spec, opts.hostIp ?? "0.0.0.0");
      if (Object.keys(ports.exposed).length > 0) {
        options.ExposedPorts = ports.exposed;
        host.PortBindings = ports.bindings;
      }
    }
    if (spec.dnsServer && host.NetworkMode !== "host") host.Dns = [spec.dnsServer];
  }
  const ignoredParameters = applyParameters(options, docker.parameters ?? []);
  return { options, ignoredParameters };
}

function networkMode(spec: LaunchSpec): string {
  const docker = spec.task.container?.docker;
  switch (docker?.network ?? "HOST") {
    case "BRIDGE":
      return "bridge";
    case "NONE":
      return "none";
    case "USER": {
      const name = spec.task.container?.network_infos?.[0]?.name;
      if (!name) throw new LaunchError("REASON_CONTAINER_LAUNCH_FAILED", "docker.network USER needs container.network_infos[0].name (the Docker network to join)");
      return name;
    }
    default:
      return "host";
  }
}

function portBindings(spec: LaunchSpec, hostIp: string): { exposed: Record<string, object>; bindings: Docker.PortMap } {
  const exposed: Record<string, object> = {};
  const bindings: Docker.PortMap = {};
  const mappings = [...(spec.task.container?.docker?.port_mappings ?? []), ...(spec.task.container?.network_infos?.[0]?.port_mappings ?? [])];
  mappings.forEach((m, i) => {
    const hostPort = m.host_port > 0 ? m.host_port : spec.ports[i];
    for (const protocol of (m.protocol ?? "tcp").toLowerCase().split(",")) {
      const key = `${m.container_port}/${protocol.trim() || "tcp"}`;
      exposed[key] = {};
      const list = (bindings[key] ??= []);
      list.push({ HostIp: hostIp, HostPort: hostPort === undefined ? "" : String(hostPort) });
    }
  });
  return { exposed, bindings };
}

/** DockerInfo.parameters (`docker run --key=value`) mapped where a HostConfig/Config field is obvious. */
function applyParameters(options: Docker.ContainerCreateOptions, parameters: Array<{ key: string; value: string }>): string[] {
  const host = options.HostConfig!;
  const ignored: string[] = [];
  const push = <K extends keyof Docker.HostConfig>(key: K, value: string): void => {
    host[key] = [...((host[key] as string[] | undefined) ?? []), value] as Docker.HostConfig[K];
  };
  for (const { key, value } of parameters) {
    switch (key.replace(/^--?/, "")) {
      case "label":
      case "l": {
        const [k, ...rest] = value.split("=");
        options.Labels![k!] = rest.join("=");
        break;
      }
      case "env":
      case "e":
        options.Env!.push(value);
        break;
      case "volume":
      case "v":
        push("Binds", value);
        break;
      case "cap-add":
        push("CapAdd", value);
        break;
      case "cap-drop":
        push("CapDrop", value);
        break;
      case "add-host":
        push("ExtraHosts", value);
        break;
      case "dns":
        push("Dns", value);
        break;
      case "user":
      case "u":
        options.User = value;
        break;
      case "workdir":
      case "w":
        options.WorkingDir = value;
        break;
      case "hostname":
      case "h":
        options.Hostname = value;
        break;
      case "entrypoint":
        options.Entrypoint = value === "" ? [""] : [value];
        break;
      case "privileged":
        host.Privileged = value !== "false";
        break;
      case "shm-size":
        host.ShmSize = Number(value) || undefined;
        break;
      case "pids-limit":
        host.PidsLimit = Number(value) || undefined;
        break;
      case "init":
        host.Init = value !== "false";
        break;
      case "network":
      case "net":
        host.NetworkMode = value;
        break;
      default:
        ignored.push(`${key}=${value}`);
    }
  }
  return ignored;
}
