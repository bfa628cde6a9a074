/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers from the API, checked by the assertions */
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseAppDefinition } from "./validate.js";
import { appsOfGroup, parseGroupUpdate } from "./group.js";
import { PodDefinition } from "./pod.js";
import { DeploymentInfo, DeploymentResult, MarathonInfo, MarathonTask, QueueItem } from "./views.js";
import { parseSseFrames } from "./events.js";
import { parseTaskId, resolvePathId, taskNameOf, pathIdProblem } from "./path-id.js";
import { fileURLToPath } from "node:url";

// shared/ sits beside the repository (CI clones it that way).
const FIX = process.env["CARAVEL_SHARED_FIXTURES"] ?? fileURLToPath(new URL("../../../../../shared/fixtures", import.meta.url));
const example = (name: string): any => JSON.parse(readFileSync(`${FIX}/marathon/examples/${name}`, "utf8"));

/** Enough of mustache for Universe templates: sections, inverted sections and variables, no escaping. */
function renderMustache(template: string, view: Record<string, unknown>): string {
  const lookup = (name: string): unknown => name.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], view);
  const sections = /{{([#^])([\w.-]+)}}([\s\S]*?){{\/\2}}/g;
  let out = template;
  for (let prev = ""; prev !== out; ) {
    prev = out;
    out = out.replace(sections, (_m, kind: string, name: string, body: string) => {
      const value = lookup(name);
      const truthy = Array.isArray(value) ? value.length > 0 : !!value;
      return (kind === "#") === truthy ? body : "";
    });
  }
  return out.replace(/{{([\w.-]+)}}/g, (_m, name: string) => String(lookup(name) ?? ""));
}

function defaultsOf(schema: any): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries<any>(schema.properties ?? {})) {
    if (prop.type === "object") out[key] = defaultsOf(prop);
    else if (prop.default !== undefined) out[key] = prop.default;
  }
  return out;
}

describe("app definitions from the Marathon examples", () => {
  it("reports both cmd+args and an undeclared env secret in app.json (the doc example is invalid as written)", () => {
    const result = parseAppDefinition(example("app.json"));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.details.map((d) => d.path).sort()).toEqual(["/", "/env/PASSWORD"]);
    expect(result.details.find((d) => d.path === "/")!.errors[0]).toMatch(/cmd.*args/);
  });

  it("normalises app.json's legacy BRIDGE networking to the 1.5 form once made valid", () => {
    const raw = example("app.json");
    delete raw.args;
    raw.env.PASSWORD = { secret: "secret1" };
    const result = parseAppDefinition(raw);
    if (!result.ok) throw new Error(JSON.stringify(result.details));
    const app = result.app;
    expect(app.networks).toEqual([{ mode: "container/bridge", labels: {} }]);
    expect(app.container?.portMappings).toEqual([
      { containerPort: 80, hostPort: 0, servicePort: 10019, protocol: "tcp", name: "http", labels: { vip: "192.168.0.1:80" } },
    ]);
    expect((app.container?.docker as Record<string, unknown>)["network"]).toBeUndefined();
    expect(app.portDefinitions).toEqual([]);
    expect(app.maxLaunchDelaySeconds).toBe(3600);
    expect(app.fetch[1]).toEqual({ uri: "https://foo.com/archive.zip", executable: false, extract: true, cache: true, destPath: "newname.zip" });
    expect(app.killSelection).toBe("YOUNGEST_FIRST");
    expect(app.unreachableStrategy).toEqual({ inactiveAfterSeconds: 0, expungeAfterSeconds: 0 });
    expect(app.taskKillGracePeriodSeconds).toBe(30);
  });

  it("parses app_list.json with nulls, legacy ports and uris", () => {
    const [raw] = example("app_list.json").apps;
    const result = parseAppDefinition(raw);
    if (!result.ok) throw new Error(JSON.stringify(result.details));
    expect(result.app.portDefinitions.map((p) => p.port)).toEqual([10013, 10015]);
    expect(result.app.fetch).toEqual([{ uri: "https://raw.github.com/mesosphere/marathon/master/README.md", executable: false, extract: true, cache: false }]);
    expect(result.app.networks).toEqual([{ mode: "host", labels: {} }]);
    expect(result.app.constraints).toEqual([["hostname", "UNIQUE", ""]]);
    expect(result.app.args).toBeUndefined();
  });

  it("fills Marathon's defaults for a minimal app", () => {
    const result = parseAppDefinition({ id: "web", cmd: "sleep 100" });
    if (!result.ok) throw new Error(JSON.stringify(result.details));
    const app = result.app;
    expect(app).toMatchObject({
      id: "/web",
      cpus: 1,
      mem: 128,
      disk: 0,
      gpus: 0,
      instances: 1,
      backoffSeconds: 1,
      backoffFactor: 1.15,
      maxLaunchDelaySeconds: 300,
      upgradeStrategy: { minimumHealthCapacity: 1, maximumOverCapacity: 1 },
      requirePorts: false,
      networks: [{ mode: "host", labels: {} }],
      portDefinitions: [{ port: 0, protocol: "tcp", name: "default", labels: {} }],
    });
  });

  it("parses apps_create.json, app_patch.json bodies and app-check-http-example.json (relative id)", () => {
    for (const raw of example("apps_create.json")) expect(parseAppDefinition(raw).ok).toBe(true);
    const http = parseAppDefinition(example("app-check-http-example.json"));
    expect(http.ok && http.app.id).toBe("/http-index-test");
  });

  it("parses the group.json tree with legacy HOST and BRIDGE docker apps", () => {
    const result = parseGroupUpdate(example("group.json"));
    if (!result.ok) throw new Error(JSON.stringify(result.details));
    const apps = appsOfGroup(result.group);
    expect(apps.map((a) => a.id)).toEqual(["/tools/oauth-server", "/tools/datadog-agent", "/tools/docker/registry"]);
    expect(apps[0]!.portDefinitions.map((p) => p.port)).toEqual([1980]);
    expect(apps[0]!.upgradeStrategy).toEqual({ minimumHealthCapacity: 0.5, maximumOverCapacity: 0 });
    expect(apps[2]!.networks[0]!.mode).toBe("container/bridge");
    expect(apps[2]!.container!.portMappings![0]).toMatchObject({ containerPort: 5000, hostPort: 0, servicePort: 5000 });
  });

  it("parses pod.json", () => {
    const pod = PodDefinition.parse(example("pod.json"));
    expect(pod.containers[0]!.endpoints[0]!.name).toBe("httpendpoint");
    expect(pod.scheduling.backoff.maxLaunchDelay).toBe(3600);
  });

  it("parses every response example: tasks, deployments, queue, info, events", () => {
    expect(example("tasks.json").tasks.map((t: unknown) => MarathonTask.parse(t).appId)).toEqual(["/frontend-foosball", "/tools/docker/registry"]);
    expect(MarathonTask.parse(example("app_task.json").task).state).toBe("TASK_STAGING");
    for (const t of example("app_tasks.json").tasks) MarathonTask.parse(t);
    expect(DeploymentInfo.parse(example("deployments.json")[0]).currentActions[0]!.readinessCheckResults[0]!.ready).toBe(false);
    DeploymentResult.parse(example("deployments_result.json"));
    for (const item of example("queue.json").queue) QueueItem.parse(item);
    expect(MarathonInfo.parse(example("info.json")).http_config.http_port).toBe(8080);
    const frames = parseSseFrames(readFileSync(`${FIX}/marathon/examples/events.txt`, "utf8"));
    expect(frames.length).toBe(3);
    for (const f of frames) expect(JSON.parse(f.data).eventType).toBe(f.event);
  });
});

describe("Universe templates rendered with their defaults", () => {
  const root = `${FIX}/universe/packages`;
  for (const name of readdirSync(root)) {
    for (const version of readdirSync(`${root}/${name}`)) {
      it(`${name}/${version} yields a valid app in the 1.5 form`, () => {
        const dir = `${root}/${name}/${version}`;
        const view = { ...defaultsOf(JSON.parse(readFileSync(`${dir}/config.json`, "utf8"))), resource: JSON.parse(readFileSync(`${dir}/resource.json`, "utf8")) };
        const raw = JSON.parse(renderMustache(readFileSync(`${dir}/marathon.json.mustache`, "utf8"), view));
        const result = parseAppDefinition(raw);
        if (!result.ok) throw new Error(JSON.stringify(result.details));
        expect(result.app.id).toBe(`/${name}`);
        expect((result.app as Record<string, unknown>)["maintainer"]).toBeUndefined();
        expect(result.app.container?.docker?.image).toBeTruthy();
        if (name === "redis") expect(result.app.container!.portMappings![0]!.labels).toEqual({ VIP_0: "/redis:6379" });
      });
    }
  }
});

describe("invalid definitions get Marathon-style details", () => {
  const details = (raw: unknown) => {
    const r = parseAppDefinition(raw);
    if (r.ok) throw new Error("expected a validation failure");
    return Object.fromEntries(r.details.map((d) => [d.path, d.errors.join("; ")]));
  };
  it("names the field and the fix", () => {
    expect(details({ id: "/web", cmd: "x", instances: -1 })["/instances"]).toMatch(/greater than or equal to 0/);
    expect(details({ id: "/Web_App", cmd: "x" })["/id"]).toMatch(/lowercase/);
    expect(details({ id: "/web", cmd: "x", constraints: [["hostname", "SOMETIMES"]] })["/constraints/0"]).toMatch(/unknown constraint operator 'SOMETIMES'/);
    expect(details({ id: "/web", cmd: "x", instances: "3" })["/instances"]).toMatch(/expected number, got string/);
    expect(details({ cmd: "x" })["/id"]).toMatch(/required/);
    expect(details({ id: "/web", cmd: "x", upgradeStrategy: { minimumHealthCapacity: 1.5 } })["/upgradeStrategy/minimumHealthCapacity"]).toBe("is greater than 1");
    expect(details({ id: "/web", cmd: "x", healthChecks: [{ protocol: "HTTP", portIndex: 3 }] })["/healthChecks/0/portIndex"]).toMatch(/has 1 port/);
    expect(details({ id: "/web", cmd: "x", constraints: [["hostname", "LIKE", "("]] })["/constraints/0"]).toMatch(/regular expression/);
    expect(details([1, 2])["/"]).toMatch(/JSON object/);
  });
});

describe("path ids", () => {
  it("resolves, names and parses ids", () => {
    expect(resolvePathId("../db", "/prod/web")).toBe("/prod/db");
    expect(taskNameOf("/prod/web/api")).toBe("api.web.prod");
    expect(parseTaskId("prod_web.instance-abc._app.3")).toEqual({ appId: "/prod/web", instanceId: "prod_web.instance-abc", container: "_app", incarnation: 3 });
    expect(parseTaskId("tools_docker_registry.002b4d28-46b9-11e5-b731-525400cce7ed")?.appId).toBe("/tools/docker/registry");
    expect(pathIdProblem("/a/-b")).toBeDefined();
    expect(pathIdProblem("/a.b/c-d")).toBeUndefined();
  });
});
