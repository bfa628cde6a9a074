/**
 * Pure construction of a LaunchSpec from a task: the environment Mesos and Marathon give a task,
 * limits from its resources, host ports and volumes (persistent volumes live under
 * `<work_dir>/volumes/roles/<role>/<id>`).
 */
import { basename, dirname, join } from "node:path";
import type { Resource, TaskInfo } from "@caravel/api";
import { rangesOf, scalarTotals } from "@caravel/api";
import type { LaunchSpec, VolumeMount } from "../containerizers/types.js";

export interface SpecContext {
  containerId: string;
  agentId: string;
  frameworkId: string;
  executorId: string;
  sandbox: string;
  workDir: string;
  hostname: string;
  agentEndpoint: string;
  checkpoint: boolean;
  dnsServer?: string;
  networkOf?: string;
}

/** Host ports in the order of the task's `ports` resource. */
export function taskPorts(resources: readonly Resource[]): number[] {
  const out: number[] = [];
  for (const r of rangesOf(resources, "ports")) for (let p = r.begin; p <= r.end && out.length < 65536; p++) out.push(p);
  return out;
}

export function volumeDir(workDir: string, role: string, id: string): string {
  return join(workDir, "volumes", "roles", role, id);
}

export function taskVolumes(task: TaskInfo, workDir: string, sandbox: string): VolumeMount[] {
  const out: VolumeMount[] = [];
  for (const r of task.resources) {
    const id = r.disk?.persistence?.id;
    if (!id) continue;
    const role = r.reservations.at(-1)?.role ?? r.role ?? "*";
    out.push({ hostPath: volumeDir(workDir, role, id), containerPath: r.disk?.volume?.container_path ?? id, readOnly: r.disk?.volume?.mode === "RO" });
  }
  for (const v of task.container?.volumes ?? []) {
    const readOnly = v.mode === "RO";
    const host = v.host_path ?? v.source?.host_path?.path;
    if (host) out.push({ hostPath: host, containerPath: v.container_path, readOnly });
    else if (v.source?.sandbox_path) {
      // PARENT is the executor's sandbox, shared by the tasks of a group (each has <executor>/tasks/<id>).
      const base = v.source.sandbox_path.type === "PARENT" && basename(dirname(sandbox)) === "tasks" ? dirname(dirname(sandbox)) : sandbox;
      out.push({ hostPath: join(base, v.source.sandbox_path.path), containerPath: v.container_path, readOnly });
    }
  }
  return out;
}

export function taskEnv(task: TaskInfo, ctx: SpecContext, ports: number[]): Record<string, string> {
  const env: Record<string, string> = {
    MESOS_SANDBOX: ctx.sandbox,
    MESOS_DIRECTORY: ctx.sandbox,
    MESOS_TASK_ID: task.task_id.value,
    MESOS_FRAMEWORK_ID: ctx.frameworkId,
    MESOS_EXECUTOR_ID: ctx.executorId,
    MESOS_AGENT_ENDPOINT: ctx.agentEndpoint,
    MESOS_CHECKPOINT: ctx.checkpoint ? "1" : "0",
    MESOS_CONTAINER_NAME: `mesos-${ctx.containerId}`,
    HOST: ctx.hostname,
  };
  if (ports.length) {
    env["PORTS"] = ports.join(",");
    env["PORT"] = String(ports[0]);
    ports.forEach((p, i) => (env[`PORT${i}`] = String(p)));
  }
  for (const v of task.command?.environment?.variables ?? []) if (v.value !== undefined) env[v.name] = v.value;
  return env;
}

export function buildLaunchSpec(task: TaskInfo, ctx: SpecContext): LaunchSpec {
  const totals = scalarTotals(task.resources);
  const ports = taskPorts(task.resources);
  const spec: LaunchSpec = {
    containerId: ctx.containerId,
    agentId: ctx.agentId,
    frameworkId: ctx.frameworkId,
    task,
    sandbox: ctx.sandbox,
    env: taskEnv(task, ctx, ports),
    limits: { cpus: totals["cpus"] ?? 0, memMb: totals["mem"] ?? 0, diskMb: totals["disk"] ?? 0, gpus: totals["gpus"] ?? 0 },
    ports,
    volumes: taskVolumes(task, ctx.workDir, ctx.sandbox),
  };
  if (ctx.networkOf) spec.networkOf = ctx.networkOf;
  if (ctx.dnsServer) spec.dnsServer = ctx.dnsServer;
  return spec;
}
