import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseTarget } from "./paths.js";
import { matchRoute, splitServicePath } from "./table.js";
import { agentDecision, decide, iamDecision, marathonDecision, mesosDecision } from "./policy.js";
import { bodyChecks, resolveId } from "./body.js";
import { masterUrls } from "../server.js";
import { agentOrigin, serviceFromApps, serviceFromFrameworks, serviceFromSrv } from "./services.js";

const route = (url: string) => matchRoute(parseTarget(url));

describe("request targets", () => {
  it("refuses dot segments (plain and encoded), backslashes and, under /agent/ and /service/, encoded slashes", () => {
    for (const bad of ["/a/../b", "/agent/x/%2e%2E/y", "/x/./y", "/service/a/b%5cc", "/service/a/b%2fc", "/agent/x/%00", "/mesos/%zz", "http://evil/x"]) {
      expect(() => parseTarget(bad), bad).toThrow(/traversal|slashes|backslash|percent|path starting/);
    }
    expect(parseTarget("/acs/api/v1/acls/caravel:service:%2Fteam-a").segments.at(-1)).toBe("caravel:service:/team-a");
  });

  it("property: no accepted target has a . or .. segment once decoded", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom("a", "..", ".", "%2e%2e", "%2E", "b%2f..", "x", "%5c"), { maxLength: 6 }), (parts) => {
        const url = "/service/" + parts.join("/");
        try {
          const t = parseTarget(url);
          expect(t.segments.some((s) => s === "." || s === ".." || s.includes("/") || s.includes("\\"))).toBe(false);
        } catch (error) {
          expect((error as { code: string }).code).toBe("INVALID_REQUEST");
        }
      }),
    );
  });
});

describe("routing table", () => {
  it("maps Admin Router's locations", () => {
    expect(route("/mesos/master/state?x=1")).toMatchObject({ kind: "proxy", upstream: "master", path: "/master/state?x=1", auth: true });
    expect(route("/mesos")).toEqual({ kind: "redirect", status: 307, location: "/mesos/" });
    expect(route("/marathon/v2/apps")).toMatchObject({ upstream: "marathon", path: "/v2/apps" });
    expect(route("/service/marathon/v2/apps")).toMatchObject({ upstream: "marathon", path: "/v2/apps" });
    expect(route("/service/kafka")).toEqual({ kind: "redirect", status: 301, location: "/service/kafka/" });
    expect(route("/service/a/b/c")).toMatchObject({ upstream: "service", service: ["a", "b", "c"] });
    expect(route("/agent/S1/files/read?path=/x")).toMatchObject({ upstream: "agent", agentId: "S1", path: "/files/read?path=/x" });
    expect(route("/slave/S1/state")).toMatchObject({ upstream: "agent", agentId: "S1" });
    expect(route("/mesos_dns/v1/version")).toMatchObject({ upstream: "dns", path: "/v1/version" });
    expect(route("/package/install")).toMatchObject({ upstream: "universe", path: "/package/install" });
    expect(route("/cosmos/service/start")).toMatchObject({ upstream: "universe", path: "/service/start" });
    expect(route("/capabilities")).toMatchObject({ upstream: "universe" });
    expect(route("/acs/api/v1/auth/login")).toMatchObject({ kind: "local", local: "iam", auth: false });
    expect(route("/acs/api/v1/users")).toMatchObject({ kind: "local", local: "iam", auth: true });
    expect(route("/system/health/v1")).toMatchObject({ kind: "local", local: "system-health", auth: true });
    expect(route("/dcos-metadata/dcos-version.json")).toMatchObject({ local: "version", auth: false });
    expect(route("/")).toMatchObject({ upstream: "console", auth: false });
    expect(splitServicePath("/service/a/b/c/d?q=1", 2)).toEqual({ name: "a/b", rest: "/c/d?q=1" });
  });
});

describe("authorisation policy", () => {
  it("Marathon: apps and groups by id, list views filtered", () => {
    expect(marathonDecision("GET", "/v2/apps")).toMatchObject({ checks: [], filter: "marathon-apps" });
    expect(marathonDecision("GET", "/v2/apps/team-a/web/versions")).toMatchObject({ checks: [{ resource: "caravel:service:/team-a/web", action: "read" }] });
    expect(marathonDecision("POST", "/v2/apps/team-a/web/restart")).toMatchObject({ checks: [{ resource: "caravel:service:/team-a/web", action: "update" }] });
    expect(marathonDecision("DELETE", "/v2/apps/team-a/web")).toMatchObject({ checks: [{ action: "delete" }] });
    expect(marathonDecision("POST", "/v2/apps")).toMatchObject({ body: { kind: "marathon-apps", action: "create" } });
    expect(marathonDecision("GET", "/v2/events")).toMatchObject({ filter: "marathon-events" });
    expect(marathonDecision("GET", "/ping")).toEqual({ checks: [] });
    expect(marathonDecision("DELETE", "/v2/leader")).toMatchObject({ checks: [{ resource: "caravel:marathon", action: "delete" }] });
  });

  it("Mesos, agents and IAM", () => {
    expect(mesosDecision("GET", "/master/state.json?jsonp=x")).toMatchObject({ filter: "mesos-state" });
    expect(mesosDecision("POST", "/api/v1")).toMatchObject({ body: { kind: "mesos-operator" } });
    expect(mesosDecision("POST", "/master/teardown")).toMatchObject({ checks: [{ resource: "caravel:mesos:master", action: "create" }] });
    expect(agentDecision("GET", "/files/read?path=/x/../../etc")).toMatchObject({ reject: expect.stringMatching(/traversal/) });
    expect(agentDecision("GET", "/files/read?path=/s/frameworks/f/executors/web.0f8fad5b-d9cb-469f-a165-70867728950e/runs/latest/stdout")).toMatchObject({ checks: [{ resource: "caravel:service:/web" }] });
    expect(agentDecision("GET", "/files/read?path=/var/log/agent.log")).toMatchObject({ checks: [{ resource: "caravel:mesos:agent:files" }] });
    expect(iamDecision("GET", "/acs/api/v1/users/alice", "alice")).toEqual({ checks: [] });
    expect(iamDecision("GET", "/acs/api/v1/users/bob", "alice")).toMatchObject({ checks: [{ resource: "caravel:iam", action: "read" }] });
    expect(iamDecision("PUT", "/acs/api/v1/users/bob", "alice")).toMatchObject({ checks: [{ resource: "caravel:iam", action: "full" }] });
    expect(decide({ kind: "proxy", upstream: "service", path: "/service/kafka/x", auth: true, timeoutMs: 1 }, "POST", "kafka")).toMatchObject({ checks: [{ resource: "caravel:service:/kafka", action: "create" }] });
    expect(decide({ kind: "proxy", upstream: "universe", path: "/package/install", auth: true, timeoutMs: 1 }, "POST")).toMatchObject({ checks: [{ resource: "caravel:package", action: "full" }] });
  });

  it("bodies: Marathon ids resolve relative to their group; traversal and missing ids are 400s", () => {
    expect(bodyChecks("marathon-apps", "create", { id: "web" })).toEqual([{ resource: "caravel:service:/web", action: "create" }]);
    expect(bodyChecks("marathon-apps", "update", { cmd: "x" }, "/team-a/web")).toEqual([{ resource: "caravel:service:/team-a/web", action: "update" }]);
    expect(bodyChecks("marathon-groups", "create", { id: "/team-a", apps: [{ id: "web" }], groups: [{ id: "sub", apps: [{ id: "/team-a/sub/db" }] }] }).map((c) => c.resource)).toEqual([
      "caravel:service:/team-a",
      "caravel:service:/team-a/web",
      "caravel:service:/team-a/sub",
      "caravel:service:/team-a/sub/db",
    ]);
    expect(() => bodyChecks("marathon-apps", "create", {})).toThrow(/id is required/);
    expect(() => bodyChecks("marathon-apps", "create", { id: "../team-b/x" })).toThrow(/\.\./);
    expect(() => resolveId("a/../../b", "/team-a", "id")).toThrow();
    expect(() => bodyChecks("marathon-tasks-delete", "update", { ids: ["nope"] })).toThrow(/ids\[0\]/);
    expect(bodyChecks("mesos-operator", "read", { type: "GET_STATE" })).toEqual([{ resource: "caravel:mesos:master", action: "read" }]);
    expect(bodyChecks("mesos-operator", "read", { type: "TEARDOWN" })).toEqual([{ resource: "caravel:mesos:master", action: "update" }]);
  });
});

describe("--master", () => {
  it("takes URLs and Mesos-style host:port lists", () => {
    expect(masterUrls("10.0.0.1:5050, http://10.0.0.2:5050,https://m3")).toEqual(["http://10.0.0.1:5050", "http://10.0.0.2:5050", "https://m3"]);
    expect(() => masterUrls("zk://h:2181/mesos")).toThrow(/only master entry/);
  });

  it("follows a Mesos-style election (json.info_ members) through the coordination detector", async () => {
    const { mkdtemp, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { createFileStore } = await import("@caravel/coordination");
    const { followMasterElection } = await import("./zk-leader.js");
    const dir = await mkdtemp(join(tmpdir(), "zk-leader-"));
    const store = await createFileStore(dir);
    try {
      const info = (host: string) => Buffer.from(JSON.stringify({ id: host, ip: 0, port: 5050, hostname: host, address: { hostname: host, ip: "10.0.0.1", port: 5050 } }));
      const second = await store.create("/mesos/json.info_", info("m2"), { sequential: true, ephemeral: true });
      await store.create("/mesos/json.info_", info("m3"), { sequential: true });
      const zk = await followMasterElection(store, "/mesos");
      expect(await zk.leader()).toBe("http://m2:5050");
      await store.delete(second);
      for (let i = 0; i < 100 && (await zk.leader()) !== "http://m3:5050"; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await zk.leader()).toBe("http://m3:5050");
      await zk.close();
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("/service/ resolution", () => {
  const app = (extra: object) => ({ id: "/k", labels: { DCOS_SERVICE_NAME: "kafka", DCOS_SERVICE_SCHEME: "http", DCOS_SERVICE_PORT_INDEX: "1" }, tasks: [{ host: "10.0.0.5", ports: [31000, 31001], state: "TASK_RUNNING", ipAddresses: [{ ipAddress: "9.0.0.2" }] }], ...extra });
  it("uses Marathon labels, host ports or container ports", () => {
    expect(serviceFromApps({ apps: [app({})] }, "kafka")).toEqual({ origin: "http://10.0.0.5:31001", rewrite: true, via: "marathon" });
    expect(serviceFromApps({ apps: [app({ networks: [{ mode: "container" }], container: { portMappings: [{ containerPort: 80 }, { containerPort: 9090 }] } })] }, "kafka")?.origin).toBe("http://9.0.0.2:9090");
    expect(serviceFromApps({ apps: [app({ labels: { DCOS_SERVICE_NAME: "kafka", DCOS_SERVICE_SCHEME: "http", DCOS_SERVICE_PORT_INDEX: "x" } })] }, "kafka")).toBeUndefined();
    expect(serviceFromApps({ apps: [app({})] }, "marathon")).toBeUndefined();
    const twoTasks = app({ tasks: [{ host: "10.0.0.5", ports: [1, 2], state: "TASK_RUNNING", healthCheckResults: [{ alive: false }] }, { host: "10.0.0.6", ports: [1, 2], state: "TASK_RUNNING", healthCheckResults: [{ alive: true }] }] });
    expect(serviceFromApps({ apps: [twoTasks] }, "kafka")?.origin).toBe("http://10.0.0.6:2");
  });
  it("falls back to frameworks (webui_url: '' falls through, null stops) and DNS SRV", () => {
    const summary = { frameworks: [{ id: "f1", name: "spark", webui_url: "http://10.0.0.9:4040/" }, { id: "f2", name: "nope", webui_url: null }, { id: "f3", name: "empty", webui_url: "" }] };
    expect(serviceFromFrameworks(summary, "spark")?.origin).toBe("http://10.0.0.9:4040");
    expect(serviceFromFrameworks(summary, "f1")?.origin).toBe("http://10.0.0.9:4040");
    expect(serviceFromFrameworks(summary, "nope")).toBeNull();
    expect(serviceFromFrameworks(summary, "empty")).toBeUndefined();
    expect(serviceFromSrv([{ service: "", host: "", ip: "", port: "" }])).toBeUndefined();
    expect(serviceFromSrv([{ host: "web.marathon.mesos.", ip: "10.0.0.3", port: "31005" }])?.origin).toBe("http://10.0.0.3:31005");
    expect(agentOrigin({ id: "S1", pid: "slave(1)@10.0.0.7:5051" })).toBe("http://10.0.0.7:5051");
  });
});
