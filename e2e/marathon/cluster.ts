/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers from the API, checked by the assertions */
/**
 * A small real cluster for Marathon scenarios: caravel-master, one caravel-agent process running N
 * simulated agents, and caravel-marathon, each a real process on free ports with its own work dir.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binPath, freePort, useProcesses, waitFor, type ProcessHandle } from "@caravel/testing";

export interface MarathonCluster {
  masterUrl: string;
  marathonUrl: string;
  marathon: ProcessHandle;
  /** Starts (or restarts, same work dir) Marathon. */
  startMarathon(): Promise<ProcessHandle>;
  api<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }>;
}

export async function startMarathonCluster(options: { agents: number; resources: string; attributes?: string; containerizers?: string }): Promise<MarathonCluster> {
  const scope = useProcesses();
  const dir = mkdtempSync(join(tmpdir(), "marathon-e2e-"));
  const masterPort = await freePort();
  const agentPort = await freePort();
  const marathonPort = await freePort();
  const masterUrl = `http://127.0.0.1:${masterPort}`;
  const marathonUrl = `http://127.0.0.1:${marathonPort}`;
  await scope.start({
    name: "master",
    command: process.execPath,
    args: [binPath("master"), `--port=${masterPort}`, `--work_dir=${join(dir, "master")}`, "--allocation_interval=0.2", "--log_level=warn"],
    healthUrl: `${masterUrl}/health`,
  });
  await scope.start({
    name: "agent",
    command: process.execPath,
    args: [
      binPath("agent"),
      `--master=127.0.0.1:${masterPort}`,
      `--port=${agentPort}`,
      `--work_dir=${join(dir, "agent")}`,
      `--containerizers=${options.containerizers ?? "sim"}`,
      ...(options.agents > 1 ? [`--simulate=${options.agents}`] : []),
      `--resources=${options.resources}`,
      ...(options.attributes ? [`--attributes=${options.attributes}`] : []),
      "--log_level=warn",
    ],
  });
  await waitFor(async () => ((await (await fetch(`${masterUrl}/master/slaves`)).json()) as { slaves: unknown[] }).slaves.length === options.agents, {
    timeoutMs: 60_000,
    message: `${options.agents} simulated agents to register`,
  });
  const cluster: MarathonCluster = {
    masterUrl,
    marathonUrl,
    marathon: undefined as unknown as ProcessHandle,
    async startMarathon() {
      cluster.marathon = await scope.start({
        name: "marathon",
        command: process.execPath,
        args: [binPath("marathon"), `--http_port=${marathonPort}`, `--master=${masterUrl}`, `--work_dir=${join(dir, "marathon")}`, "--log_level=warn", "--reconciliation_interval=5000"],
        healthUrl: `${marathonUrl}/ping`,
      });
      return cluster.marathon;
    },
    async api(method, path, body) {
      const res = await fetch(marathonUrl + path, { method, headers: { "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined };
    },
  };
  await cluster.startMarathon();
  await waitFor(async () => (await cluster.api("GET", "/v2/info")).json.frameworkId, { message: "Marathon to subscribe to the master" });
  return cluster;
}
