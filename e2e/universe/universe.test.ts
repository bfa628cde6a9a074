/* eslint-disable @typescript-eslint/no-explicit-any -- assertions read JSON bodies of many shapes */
/**
 * Universe on a real cluster: caravel-master, one caravel-agent (process + Docker containerizers),
 * caravel-marathon and caravel-universe as real processes. Installs the built-in static-web package,
 * waits until it runs and is healthy, lists it, serves its page, then uninstalls it until it is gone.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cosmosType } from "@caravel/api";
import { TestFramework, binPath, freePort, requireImage, useProcesses, waitFor } from "../harness/index.js";
import { startMarathonCluster, type MarathonCluster } from "../marathon/cluster.js";

const ERROR = "application/vnd.dcos.package.error+json;charset=utf-8;version=v1";
const scope = useProcesses();
let c: MarathonCluster;
let universeUrl: string;

async function rpc(path: string, kind: string, body: unknown, version = 1, auth?: string) {
  const res = await fetch(universeUrl + path, {
    method: "POST",
    headers: {
      "content-type": cosmosType("package", `${kind}-request`, 1),
      accept: `${cosmosType("package", `${kind}-response`, version)},${ERROR}`,
      ...(auth ? { authorization: auth } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any };
}

beforeAll(async () => {
  requireImage("local/static-web:1");
  // Host ports of its own: the tasks really bind them, and other e2e files' agents start at 31000.
  c = await startMarathonCluster({ agents: 1, resources: "cpus:4;mem:4096;disk:10000;ports:[33200-33299]", containerizers: "mesos,docker" });
  const port = await freePort();
  universeUrl = `http://127.0.0.1:${port}`;
  await scope.start({
    name: "universe",
    command: process.execPath,
    args: [binPath("universe"), `--port=${port}`, `--marathon=${c.marathonUrl}`, `--master=${c.masterUrl}`, `--work_dir=${mkdtempSync(join(tmpdir(), "universe-e2e-"))}`, "--log_level=warn"],
    healthUrl: `${universeUrl}/health`,
  });
}, 180_000);

describe("install → running and healthy → listed → uninstall → gone", () => {
  it("static-web installs with no options, serves its page, and uninstalls cleanly", async () => {
    const installed = await rpc("/package/install", "install", { packageName: "static-web" }, 2, "token=forwarded");
    expect(installed.status).toBe(200);
    expect(installed.json).toMatchObject({ packageName: "static-web", packageVersion: "1.0.0", appId: "/static-web", postInstallNotes: expect.stringContaining("static-web") });

    const again = await rpc("/package/install", "install", { packageName: "static-web" }, 2);
    expect(again).toMatchObject({ status: 409, json: { type: "PackageAlreadyInstalled" } });

    const healthy = await waitFor(
      async () => {
        const app = (await c.api("GET", "/v2/apps/static-web")).json.app;
        return app?.tasksHealthy === 1 ? app : undefined;
      },
      { timeoutMs: 90_000, message: "static-web to be running and healthy" },
    );
    const task = healthy.tasks[0];
    const page = await (await fetch(`http://127.0.0.1:${task.ports[0]}/`)).text();
    expect(page).toContain("<h1>Hello from Caravel</h1>");
    expect(healthy.labels).toMatchObject({ DCOS_PACKAGE_NAME: "static-web", DCOS_PACKAGE_VERSION: "1.0.0" });

    const listed = await rpc("/package/list", "list", {});
    expect(listed.json.packages).toEqual([
      expect.objectContaining({ appId: "/static-web", packageInformation: expect.objectContaining({ packageDefinition: expect.objectContaining({ name: "static-web", version: "1.0.0" }) }) }),
    ]);

    const removed = await rpc("/package/uninstall", "uninstall", { packageName: "static-web" });
    expect(removed.json).toEqual({ results: [{ packageName: "static-web", appId: "/static-web", packageVersion: "1.0.0", postUninstallNotes: "static-web was removed." }] });
    expect((await c.api("GET", "/v2/apps/static-web")).status).toBe(404);
    expect((await rpc("/package/list", "list", {})).json.packages).toEqual([]);
    expect((await rpc("/package/uninstall", "uninstall", { packageName: "static-web" })).json.type).toBe("PackageNotInstalled");
  }, 180_000);

  it("two installs under different appIds: uninstall needs appId or all:true", async () => {
    for (const appId of ["/a/web", "/b/web"]) {
      expect((await rpc("/package/install", "install", { packageName: "static-web", appId, options: { service: { instances: 0 } } })).status).toBe(200);
    }
    expect((await rpc("/package/uninstall", "uninstall", { packageName: "static-web" })).json.type).toBe("AmbiguousAppId");
    const one = await rpc("/package/uninstall", "uninstall", { packageName: "static-web", appId: "/a/web" });
    expect(one.json.results.map((r: any) => r.appId)).toEqual(["/a/web"]);
    const rest = await rpc("/package/uninstall", "uninstall", { packageName: "static-web", all: true });
    expect(rest.json.results.map((r: any) => r.appId)).toEqual(["/b/web"]);
  }, 120_000);

  it("a framework package's uninstall also tears its Mesos framework down", async () => {
    const repo = mkdtempSync(join(tmpdir(), "universe-fw-repo-"));
    const dir = join(repo, "packages", "F", "fw-e2e", "0");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "package.json"), JSON.stringify({ packagingVersion: "3.0", name: "fw-e2e", version: "0.1", maintainer: "t", description: "a framework", tags: [], framework: true }));
    writeFileSync(join(dir, "config.json"), JSON.stringify({ type: "object", properties: { service: { type: "object", properties: { name: { type: "string", default: "fw-e2e" } } } } }));
    writeFileSync(join(dir, "marathon.json.mustache"), '{"id":"/{{service.name}}","cmd":"sleep 1000","instances":0,"cpus":0.1,"mem":16}');
    expect((await rpc("/package/repository/add", "repository.add", { name: "fw", uri: repo })).status).toBe(200);
    const fw = await TestFramework.subscribe(c.masterUrl, { frameworkInfo: { name: "fw-e2e" } });
    try {
      expect((await rpc("/package/install", "install", { packageName: "fw-e2e" })).status).toBe(200);
      expect((await c.api("GET", "/v2/apps/fw-e2e")).json.app.labels.DCOS_PACKAGE_FRAMEWORK_NAME).toBe("fw-e2e");
      const frameworks = async () => ((await (await fetch(`${c.masterUrl}/master/frameworks`)).json()) as { frameworks: { id: string; active: boolean }[] }).frameworks;
      expect((await frameworks()).some((f) => f.id === fw.frameworkId && f.active)).toBe(true);
      expect((await rpc("/package/uninstall", "uninstall", { packageName: "fw-e2e" })).status).toBe(200);
      await waitFor(async () => !(await frameworks()).some((f) => f.id === fw.frameworkId && f.active), { timeoutMs: 30_000, message: "the framework to be torn down" });
    } finally {
      await fw.close();
    }
  }, 120_000);

  it("/cosmos/service/describe and /service/update: options merged or replaced, upgrades only along upgradesFrom", async () => {
    const repo = mkdtempSync(join(tmpdir(), "universe-upd-repo-"));
    const config = { type: "object", properties: { service: { type: "object", properties: { name: { type: "string", default: "upd" }, instances: { type: "integer", default: 0, minimum: 0 }, note: { type: "string", default: "n" } } } } };
    for (const [release, version, extra] of [["0", "1.0", {}], ["1", "2.0", { upgradesFrom: ["1.0"] }]] as const) {
      const dir = join(repo, "packages", "U", "upd", release);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "package.json"), JSON.stringify({ packagingVersion: "4.0", name: "upd", version, maintainer: "t", description: "update test", tags: [], ...extra }));
      writeFileSync(join(dir, "config.json"), JSON.stringify(config));
      writeFileSync(join(dir, "marathon.json.mustache"), `{"id":"/{{service.name}}","cmd":"sleep 1000","instances":{{service.instances}},"cpus":0.1,"mem":16,"env":{"NOTE":"{{service.note}}","V":"${version}"}}`);
    }
    expect((await rpc("/package/repository/add", "repository.add", { name: "upd", uri: repo })).status).toBe(200);
    expect((await rpc("/package/install", "install", { packageName: "upd", packageVersion: "1.0", options: { service: { note: "first" } } })).status).toBe(200);

    const service = async (path: string, kind: string, body: unknown) => {
      const res = await fetch(universeUrl + path, {
        method: "POST",
        headers: { "content-type": cosmosType("service", `${kind}-request`, 1), accept: `${cosmosType("service", `${kind}-response`, 1)},${ERROR}` },
        body: JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as any };
    };
    const described = await service("/cosmos/service/describe", "describe", { appId: "/upd" });
    expect(described.json).toMatchObject({
      package: { name: "upd", version: "1.0" },
      upgradesTo: ["2.0"],
      downgradesTo: [],
      userProvidedOptions: { service: { note: "first" } },
      resolvedOptions: { service: { name: "upd", instances: 0, note: "first" } },
    });

    // Merge: the stored note stays, instances changes.
    const merged = await service("/service/update", "update", { appId: "/upd", options: { service: { instances: 1 } } });
    expect(merged.status, JSON.stringify(merged.json)).toBe(200);
    expect(merged.json).toMatchObject({ package: { version: "1.0" }, resolvedOptions: { service: { instances: 1, note: "first" } }, marathonDeploymentId: expect.any(String) });
    expect((await c.api("GET", "/v2/apps/upd")).json.app).toMatchObject({ instances: 1, env: { NOTE: "first", V: "1.0" } });

    // Upgrade along upgradesFrom, replacing the options.
    const upgraded = await service("/service/update", "update", { appId: "/upd", packageVersion: "2.0", options: { service: { instances: 0 } }, replace: true });
    expect(upgraded.json).toMatchObject({ package: { version: "2.0" }, resolvedOptions: { service: { instances: 0, note: "n" } } });
    const app = (await c.api("GET", "/v2/apps/upd")).json.app;
    expect(app).toMatchObject({ instances: 0, env: { NOTE: "n", V: "2.0" }, labels: { DCOS_PACKAGE_VERSION: "2.0" } });

    // 2.0 lists no downgrade: going back is refused with the allowed paths.
    const back = await service("/service/update", "update", { appId: "/upd", packageVersion: "1.0" });
    expect(back).toMatchObject({ status: 400, json: { type: "VersionUpgradeNotSupported", data: { installed: "2.0", requested: "1.0" } } });
    expect((await service("/service/describe", "describe", { appId: "/nope" })).json.type).toBe("MarathonAppNotFound");
    expect((await rpc("/package/uninstall", "uninstall", { packageName: "upd" })).status).toBe(200);
  }, 120_000);
});
