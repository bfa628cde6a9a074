/* eslint-disable @typescript-eslint/no-explicit-any -- raw JSON inputs */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parsePodDefinition } from "./pod-validate.js";

const FIX = process.env["CARAVEL_SHARED_FIXTURES"] ?? fileURLToPath(new URL("../../../../../shared/fixtures", import.meta.url));
const example = (name: string): any => JSON.parse(readFileSync(`${FIX}/marathon/examples/${name}`, "utf8"));

const minimal = { id: "web", containers: [{ name: "a", exec: { command: { shell: "sleep 1000" } } }] };
const paths = (raw: unknown) => {
  const r = parsePodDefinition(raw);
  return r.ok ? [] : r.details.map((d) => d.path);
};

describe("pod definitions", () => {
  it("parses Marathon's pod.json example with its values", () => {
    const r = parsePodDefinition(example("pod.json"));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.pod.id).toBe("/foo");
    expect(r.pod.containers[0]!.healthCheck).toMatchObject({ http: { endpoint: "httpendpoint", path: "/health", scheme: "HTTP" }, intervalSeconds: 2 });
    expect(r.pod.scheduling.backoff.maxLaunchDelay).toBe(3600);
    expect(r.pod.executorResources).toEqual({ cpus: 0.2, mem: 64, disk: 50 });
    expect(r.pod.volumes[0]).toMatchObject({ name: "etc", host: "/hdd/tools/docker/registry" });
  });

  it("fills Marathon's defaults", () => {
    const r = parsePodDefinition(minimal);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.pod).toMatchObject({
      id: "/web",
      networks: [{ mode: "host" }],
      scaling: { kind: "fixed", instances: 1 },
      executorResources: { cpus: 0.1, mem: 32, disk: 10 },
      scheduling: {
        backoff: { backoff: 1, backoffFactor: 1.15, maxLaunchDelay: 300 },
        upgrade: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
        placement: { constraints: [], acceptedResourceRoles: [] },
        killSelection: "YOUNGEST_FIRST",
        unreachableStrategy: { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 },
      },
    });
    expect(r.pod.containers[0]!.resources).toEqual({ cpus: 1, mem: 128, disk: 0, gpus: 0 });
  });

  it("gives bridge endpoints without hostPort the dynamic host port 0", () => {
    const r = parsePodDefinition({ ...minimal, networks: [{ mode: "container/bridge" }], containers: [{ name: "a", image: { kind: "DOCKER", id: "x" }, endpoints: [{ name: "http", containerPort: 80 }] }] });
    expect(r.ok && r.pod.containers[0]!.endpoints[0]!.hostPort).toBe(0);
  });

  it("rejects bad definitions with the paths to fix", () => {
    const c = (over: Record<string, unknown>) => ({ name: "a", exec: { command: { shell: "x" } }, ...over });
    expect(paths({ id: "/Bad", containers: [c({})] })).toEqual(["/id"]);
    expect(paths({ id: "/p" })).toEqual(["/containers"]);
    expect(paths({ id: "/p", containers: [] })).toEqual(["/containers"]);
    expect(paths({ id: "/p", containers: [c({}), c({})] })).toEqual(["/containers/1/name"]);
    expect(paths({ id: "/p", containers: [c({ resources: { cpus: -1 } })] })).toEqual(["/containers/0/resources/cpus"]);
    expect(paths({ id: "/p", scaling: { instances: -1 }, containers: [c({})] })).toEqual(["/scaling/instances"]);
    expect(paths({ id: "/p", containers: [c({ endpoints: [{ name: "web" }] })] })).toEqual(["/containers/0/endpoints/0/hostPort"]);
    expect(paths({ id: "/p", networks: [{ mode: "container/bridge" }], containers: [c({ endpoints: [{ name: "web", hostPort: 0 }] })] })).toEqual(["/containers/0/endpoints/0/containerPort"]);
    expect(paths({ id: "/p", containers: [c({ healthCheck: { http: { endpoint: "nope" } } })] })).toEqual(["/containers/0/healthCheck/http/endpoint"]);
    expect(paths({ id: "/p", containers: [c({ volumeMounts: [{ name: "v", mountPath: "/v" }] })] })).toEqual(["/containers/0/volumeMounts/0/name"]);
    expect(paths({ id: "/p", scheduling: { placement: { constraints: [{ fieldName: "hostname", operator: "NEVER" }] } }, containers: [c({})] })).toEqual(["/scheduling/placement/constraints/0"]);
    expect(paths({ id: "/p", containers: [{ name: "a" }] })).toEqual(["/containers/0"]);
    expect(paths({ id: "/p", networks: [{ mode: "container" }], containers: [c({})] })).toEqual(["/networks/0/name"]);
    expect(paths("nope")).toEqual(["/"]);
    expect(paths({ id: "/p", volumes: [{ name: "data", persistent: { size: 10 } }], containers: [c({})] })).toEqual(["/volumes/0/persistent"]);
  });
});
