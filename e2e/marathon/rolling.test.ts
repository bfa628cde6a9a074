/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers from the API, checked by the assertions */
/**
 * A rolling restart on real processes (the agent's process containerizer) with Mesos HTTP health
 * checks: sampled all along, the app never has fewer healthy instances than minimumHealthCapacity
 * allows, and at the end every instance is new.
 */
import { execFileSync } from "node:child_process";
import { beforeAll, expect, it } from "vitest";
import { delay, waitFor } from "@caravel/testing";
import { startMarathonCluster, type MarathonCluster } from "./cluster.js";

let c: MarathonCluster;

beforeAll(async () => {
  try {
    execFileSync("python3", ["--version"]);
  } catch {
    throw new Error("python3 is needed for the test's HTTP tasks: apt-get install -y python3");
  }
  c = await startMarathonCluster({ agents: 1, containerizers: "mesos", resources: "cpus:8;mem:8192;disk:10000;ports:[32100-32199]" });
}, 120_000);

const healthyTasks = async (id: string) => {
  const tasks = (await c.api("GET", `/v2/apps${id}/tasks`)).json.tasks as any[];
  return tasks.filter((t) => t.state === "TASK_RUNNING" && t.healthCheckResults[0]?.alive === true);
};

it("rolling restart keeps ceil(n × minimumHealthCapacity) healthy instances at all times", { timeout: 180_000 }, async () => {
  const n = 4;
  const app = {
    id: "/rolling",
    cmd: "exec python3 -m http.server $PORT0 --bind 127.0.0.1",
    cpus: 0.1,
    mem: 64,
    instances: n,
    upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0 },
    healthChecks: [{ protocol: "MESOS_HTTP", path: "/", portIndex: 0, gracePeriodSeconds: 30, intervalSeconds: 1, timeoutSeconds: 2, maxConsecutiveFailures: 3, delaySeconds: 0 }],
  };
  expect((await c.api("POST", "/v2/apps", app)).status).toBe(201);
  await waitFor(async () => (await healthyTasks("/rolling")).length === n && (await c.api("GET", "/v2/deployments")).json.length === 0, { timeoutMs: 90_000, message: `${n} healthy instances` });
  const before = new Set((await healthyTasks("/rolling")).map((t) => t.id));

  const restart = await c.api("POST", "/v2/apps/rolling/restart");
  expect(restart.status).toBe(200);
  const minHealthy = Math.ceil(n * 0.5);
  const samples: number[] = [];
  for (;;) {
    samples.push((await healthyTasks("/rolling")).length);
    const deployments = (await c.api("GET", "/v2/deployments")).json as any[];
    if (!deployments.some((d) => d.id === restart.json.deploymentId)) break;
    await delay(100);
  }
  const after = await healthyTasks("/rolling");
  expect(after).toHaveLength(n);
  for (const t of after) expect(before.has(t.id)).toBe(false);
  expect(samples.length).toBeGreaterThan(3);
  expect(Math.min(...samples)).toBeGreaterThanOrEqual(minHealthy);
});
