/** Pure pod logic: run specs, the task group launch, and folding container states into one instance. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parsePodDefinition, type PodDefinition, type Resource, type TaskState } from "@caravel/api";
import { buildPodLaunch } from "./launch.js";
import { isPodSpec, podOf, podRunSpec } from "./run-spec.js";
import { aggregateHealth, aggregateState, podStatusWord } from "./status.js";
import { sendLaunches } from "./instances.js";

const pod = (raw: unknown): PodDefinition => {
  const r = parsePodDefinition(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.details));
  return r.pod;
};
const twoContainers = pod({
  id: "/p",
  version: "2026-01-01T00:00:00.000Z",
  scaling: { instances: 3 },
  scheduling: { placement: { constraints: [{ fieldName: "hostname", operator: "UNIQUE" }], acceptedResourceRoles: ["slave_public"] } },
  containers: [
    { name: "a", resources: { cpus: 0.5, mem: 64 }, image: { kind: "DOCKER", id: "local/busybox:1" }, exec: { command: { shell: "httpd -f -p $ENDPOINT_WEB" } }, endpoints: [{ name: "web", hostPort: 0 }], healthCheck: { http: { endpoint: "web" } }, lifecycle: { killGracePeriodSeconds: 5 } },
    { name: "b", resources: { cpus: 0.25, mem: 32, disk: 5 }, exec: { command: { argv: ["sleep", "1000"] } }, endpoints: [{ name: "admin", hostPort: 31005 }] },
  ],
});

describe("pod run specs", () => {
  it("sum the containers and the executor, carry placement and scheduling, and give the pod back", () => {
    const spec = podRunSpec(twoContainers);
    expect(spec).toMatchObject({ id: "/p", instances: 3, cpus: 0.85, mem: 128, disk: 15, constraints: [["hostname", "UNIQUE"]], acceptedResourceRoles: ["slave_public"], requirePorts: true, taskKillGracePeriodSeconds: 5 });
    expect(spec.portDefinitions.map((p) => p.port)).toEqual([0, 31005]);
    expect(spec.healthChecks).toHaveLength(1);
    expect(isPodSpec(spec)).toBe(true);
    expect(isPodSpec({ ...spec, pod: undefined } as never)).toBe(false);
    expect(podOf(spec)).toEqual(twoContainers);
  });
});

describe("pod launches", () => {
  const offered: Resource[] = [
    { name: "cpus", type: "SCALAR", scalar: { value: 0.85 }, reservations: [], allocation_info: { role: "*" } },
    { name: "mem", type: "SCALAR", scalar: { value: 128 }, reservations: [], allocation_info: { role: "*" } },
    { name: "disk", type: "SCALAR", scalar: { value: 15 }, reservations: [], allocation_info: { role: "*" } },
    { name: "ports", type: "RANGES", ranges: { range: [{ begin: 31000, end: 31000 }, { begin: 31005, end: 31005 }] }, reservations: [], allocation_info: { role: "*" } },
  ];
  const l = buildPodLaunch({ spec: podRunSpec(twoContainers), instanceId: "p.instance-u1", agentId: "ag", hostname: "h1", resources: offered, hostPorts: [31000, 31005], frameworkId: "fw" });

  it("is one task per container with the executor's share split off", () => {
    expect(l.executor).toMatchObject({ type: "DEFAULT", executor_id: { value: "instance-p.instance-u1" }, framework_id: { value: "fw" } });
    const scalar = (rs: Resource[], n: string) => rs.filter((r) => r.name === n).reduce((a, r) => a + (r.scalar?.value ?? 0), 0);
    expect([scalar(l.executor.resources, "cpus"), scalar(l.executor.resources, "mem"), scalar(l.executor.resources, "disk")]).toEqual([0.1, 32, 10]);
    const [a, b] = l.taskGroup.tasks;
    expect(a!.task_id.value).toBe("p.instance-u1.a");
    expect(b!.task_id.value).toBe("p.instance-u1.b");
    expect(l.primaryTaskId).toBe("p.instance-u1.a");
    expect([scalar(a!.resources, "cpus"), scalar(a!.resources, "mem"), scalar(b!.resources, "cpus"), scalar(b!.resources, "disk")]).toEqual([0.5, 64, 0.25, 5]);
    expect(a!.resources.find((r) => r.name === "ports")!.ranges!.range).toEqual([{ begin: 31000, end: 31000 }]);
    expect(b!.resources.find((r) => r.name === "ports")!.ranges!.range).toEqual([{ begin: 31005, end: 31005 }]);
  });

  it("runs images in Docker on the host network, commands as given, health on the endpoint's host port", () => {
    const [a, b] = l.taskGroup.tasks;
    expect(a!.container).toMatchObject({ type: "DOCKER", docker: { image: "local/busybox:1", network: "HOST" } });
    expect(a!.command).toMatchObject({ shell: true, value: "httpd -f -p $ENDPOINT_WEB" });
    expect(b!.container).toBeUndefined();
    expect(b!.command).toMatchObject({ shell: false, value: "sleep", arguments: ["sleep", "1000"] });
    const env = Object.fromEntries(a!.command!.environment!.variables.map((v) => [v.name, v.value]));
    expect(env).toMatchObject({ ENDPOINT_WEB: "31000", ENDPOINT_ADMIN: "31005", MARATHON_APP_ID: "/p", MESOS_TASK_ID: "p.instance-u1.a", HOST: "h1" });
    expect(a!.health_check).toMatchObject({ type: "HTTP", http: { port: 31000, path: "/" } });
    expect(a!.kill_policy?.grace_period?.nanoseconds).toBe(5e9);
    expect(l.tasks).toEqual({ a: { taskId: "p.instance-u1.a", state: "TASK_STAGING", checked: true }, b: { taskId: "p.instance-u1.b", state: "TASK_STAGING" } });
  });

  it("go in one ACCEPT per offer, with the apps' tasks placed on the same offer", () => {
    const calls: [string, unknown][] = [];
    const port = { launch: (ids: string[], t: unknown[]) => calls.push(["launch", [ids, t.length]]), accept: (ids: string[], ops: { type: string }[]) => calls.push(["accept", [ids, ops.map((o) => o.type)]]) };
    sendLaunches(port, new Map([["o1", [l.taskGroup.tasks[0]!]], ["o2", [l.taskGroup.tasks[0]!]]]), new Map([["o2", [l]], ["o3", [l, l]]]));
    expect(calls).toEqual([
      ["launch", [["o1"], 1]],
      ["accept", [["o2"], ["LAUNCH", "LAUNCH_GROUP"]]],
      ["accept", [["o3"], ["LAUNCH_GROUP", "LAUNCH_GROUP"]]],
    ]);
  });
});

describe("pod instance state", () => {
  it("is running only when every container runs (or finished), and ends when all ended", () => {
    expect(aggregateState(["TASK_RUNNING", "TASK_RUNNING"])).toBe("TASK_RUNNING");
    expect(aggregateState(["TASK_RUNNING", "TASK_FINISHED"])).toBe("TASK_RUNNING");
    expect(aggregateState(["TASK_RUNNING", "TASK_STARTING"])).toBe("TASK_STARTING");
    expect(aggregateState(["TASK_STAGING", "TASK_STARTING"])).toBe("TASK_STAGING");
    expect(aggregateState(["TASK_RUNNING", "TASK_FAILED"])).toBe("TASK_KILLING");
    expect(aggregateState(["TASK_KILLED", "TASK_FAILED"])).toBe("TASK_FAILED");
    expect(aggregateState(["TASK_KILLED", "TASK_KILLED"])).toBe("TASK_KILLED");
    expect(aggregateState(["TASK_FINISHED", "TASK_FINISHED"])).toBe("TASK_FINISHED");
    expect(aggregateState(["TASK_RUNNING", "TASK_UNREACHABLE"])).toBe("TASK_UNREACHABLE");
  });

  it("is terminal exactly when every container task is terminal (property)", () => {
    const states: TaskState[] = ["TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING", "TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_LOST", "TASK_UNREACHABLE"];
    const terminal = new Set(["TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_LOST"]);
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...states), { minLength: 1, maxLength: 5 }), (xs) => {
        expect(terminal.has(aggregateState(xs))).toBe(xs.every((s) => terminal.has(s)));
      }),
    );
  });

  it("is healthy when every checked container is, unhealthy when one is not", () => {
    expect(aggregateHealth([{ taskId: "a", state: "TASK_RUNNING" }])).toBeUndefined();
    expect(aggregateHealth([{ taskId: "a", state: "TASK_RUNNING", checked: true, healthy: true }, { taskId: "b", state: "TASK_RUNNING" }])).toBe(true);
    expect(aggregateHealth([{ taskId: "a", state: "TASK_RUNNING", checked: true, healthy: true }, { taskId: "b", state: "TASK_RUNNING", checked: true, healthy: false }])).toBe(false);
    expect(aggregateHealth([{ taskId: "a", state: "TASK_RUNNING", checked: true }])).toBeUndefined();
  });

  it("says STABLE when the wanted instances are stable", () => {
    expect(podStatusWord(2, ["STABLE", "STABLE"], false)).toBe("STABLE");
    expect(podStatusWord(2, ["STABLE", "STAGING"], false)).toBe("DEGRADED");
    expect(podStatusWord(1, ["STABLE", "STABLE"], false)).toBe("DEGRADED");
    expect(podStatusWord(0, [], true)).toBe("TERMINAL");
  });
});
