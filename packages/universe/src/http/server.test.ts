/* eslint-disable @typescript-eslint/no-explicit-any -- assertions read JSON bodies of many shapes */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStore, type Store } from "@caravel/coordination";
import { cosmosType } from "@caravel/api";
import { silentLogger } from "@caravel/runtime";
import { BUILTIN_REPOSITORY_DIR, UniverseConfig } from "../config.js";
import { createServer, type UniverseServer } from "./server.js";
import { sharedFixtures } from "@caravel/testing";

const ERROR_TYPE = "application/vnd.dcos.package.error+json;charset=utf-8;version=v1";
let server: UniverseServer;
let base: string;
let store: Store;
let dir: string;

async function rpc(path: string, body: unknown, kind: string, accept?: string, contentType?: string) {
  const res = await fetch(base + path, {
    method: "POST",
    headers: {
      "content-type": contentType ?? cosmosType("package", `${kind}-request`, 1),
      accept: accept ?? `${cosmosType("package", `${kind}-response`, 1)},${ERROR_TYPE}`,
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get("content-type"), json: (await res.json()) as any };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "universe-server-"));
  store = await createStore(join(dir, "store"));
  // Marathon points at a closed port: install must answer ServiceUnavailable, not crash.
  server = createServer({ config: { port: 0, ip: "127.0.0.1", marathon: "http://127.0.0.1:1", uninstall_timeout: 5 }, store, log: silentLogger(), defaults: [{ name: "Caravel", uri: `file://${BUILTIN_REPOSITORY_DIR}` }] });
  base = (await server.listen()).url;
});
afterAll(async () => {
  await server.close();
  await store.close?.();
});

describe("Cosmos API", () => {
  it("search answers with the negotiated versioned type", async () => {
    const r = await rpc("/package/search", { query: "web" }, "search");
    expect(r.status).toBe(200);
    expect(r.type).toBe(cosmosType("package", "search-response", 1));
    expect(r.json.packages[0]).toMatchObject({ name: "static-web", currentVersion: "1.0.0", versions: { "1.0.0": "0" }, selected: true });
  });

  it("describe v3 wraps the package; v2 flattens it; Go-style multi-type Accept lists work", async () => {
    const v3 = await rpc("/package/describe", { packageName: "static-web" }, "describe", `${cosmosType("package", "describe-response", 3)},${ERROR_TYPE}`);
    expect(v3.type).toContain("version=v3");
    expect(v3.json.package).toMatchObject({ name: "static-web", releaseVersion: 0, marathon: { v2AppMustacheTemplate: expect.any(String) } });
    const v2 = await rpc("/package/describe", { packageName: "static-web" }, "describe", `application/vnd.dcos.package.describe-response+json; charset=utf-8; version=v2;q=0.9, text/html;q=1`);
    expect(v2.type).toContain("version=v2");
    expect(v2.json.name).toBe("static-web");
    const v1 = await rpc("/package/describe", { packageName: "static-web" }, "describe", cosmosType("package", "describe-response", 1));
    expect(v1.type).toContain("version=v1");
    expect(v1.json).toMatchObject({ package: { name: "static-web", version: "1.0.0" }, marathonMustache: expect.stringContaining("{{service.name}}"), config: { type: "object" }, resource: { images: {} } });
    expect(v1.json.package.releaseVersion).toBeUndefined();
  });

  it("an Accept with no usable type is 406 UnsupportedContentType; a wrong Content-Type is 415", async () => {
    const r406 = await rpc("/package/search", {}, "search", "application/vnd.dcos.package.search-response+json;charset=utf-8;version=v9");
    expect(r406.status).toBe(406);
    expect(r406.type).toBe(ERROR_TYPE);
    expect(r406.json.type).toBe("UnsupportedContentType");
    const r415 = await rpc("/package/search", {}, "search", undefined, "application/vnd.dcos.package.describe-request+json;charset=utf-8;version=v1");
    expect(r415.status).toBe(415);
    expect(r415.json).toMatchObject({ type: "UnsupportedContentType", data: { supported: [cosmosType("package", "search-request", 1)] } });
  });

  it("render validates options and names the path", async () => {
    const bad = await rpc("/package/render", { packageName: "static-web", options: { service: { cpus: 0, mem: "x" } } }, "render");
    expect(bad.status).toBe(400);
    expect(bad.json.type).toBe("JsonSchemaMismatch");
    expect(bad.json.message).toContain("/service/cpus: must be >= 0.01 (got 0)");
    expect(bad.json.data.errors).toContainEqual({ path: "/service/mem", message: "must be number", actual: "x" });
    const ok = await rpc("/package/render", { packageName: "static-web", appId: "/web/a" }, "render");
    expect(ok.json.marathonJson).toMatchObject({ id: "/web/a", labels: { DCOS_PACKAGE_NAME: "static-web" } });
  });

  it("unknown packages, versions and malformed bodies are 400s with Cosmos types", async () => {
    expect((await rpc("/package/describe", { packageName: "nope" }, "describe", `${cosmosType("package", "describe-response", 3)}`)).json.type).toBe("PackageNotFound");
    expect((await rpc("/package/list-versions", { packageName: "static-web", includePackageVersions: true }, "list-versions")).json).toEqual({ results: { "1.0.0": "0" } });
    const missing = await rpc("/package/render", {}, "render");
    expect(missing).toMatchObject({ status: 400, json: { type: "JsonSchemaMismatch" } });
    expect(missing.json.message).toContain("/packageName");
    const res = await fetch(`${base}/package/search`, { method: "POST", body: "{oops", headers: { accept: "*/*", "content-type": "application/json" } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { type: string }).type).toBe("MalformedRequest");
  });

  it("install with Marathon down is ServiceUnavailable (503), not a crash", async () => {
    const r = await rpc("/package/install", { packageName: "static-web" }, "install", cosmosType("package", "install-response", 2));
    expect(r.status).toBe(503);
    expect(r.json.type).toBe("ServiceUnavailable");
  });

  it("repositories: add (at index), duplicates refused, broken ones listed with errors, delete, persisted", async () => {
    const list = async () => (await rpc("/package/repository/list", {}, "repository.list")).json.repositories;
    expect((await list()).map((r: { name: string }) => r.name)).toEqual(["Caravel"]);
    const added = await rpc("/package/repository/add", { name: "fixtures", uri: `${sharedFixtures}/universe`, index: 0 }, "repository.add");
    expect(added.json.repositories.map((r: { name: string }) => r.name)).toEqual(["fixtures", "Caravel"]);
    expect((await rpc("/package/repository/add", { name: "fixtures", uri: "/x" }, "repository.add")).json.type).toBe("RepositoryAlreadyPresent");
    await rpc("/package/repository/add", { name: "gone", uri: "http://127.0.0.1:1/repo" }, "repository.add");
    const withBroken = await list();
    expect(withBroken.find((r: { name: string }) => r.name === "gone").errors[0]).toMatch(/could not fetch the repository/);
    expect(withBroken.find((r: { name: string }) => r.name === "fixtures").errors).toEqual([]);
    // The fixtures' redis is now visible; the built-in packages still are.
    const found = (await rpc("/package/search", { query: "redis" }, "search")).json.packages.map((p: { name: string }) => p.name);
    expect(found.sort()).toEqual(["redis", "redis-lite"]);
    expect((await store.getJson("/universe/repositories"))?.value).toMatchObject({ repositories: [{ name: "fixtures" }, { name: "Caravel" }, { name: "gone" }] });
    const deleted = await rpc("/package/repository/delete", { uri: "http://127.0.0.1:1/repo" }, "repository.delete");
    expect(deleted.json.repositories.map((r: { name: string }) => r.name)).toEqual(["fixtures", "Caravel"]);
    expect((await rpc("/package/repository/delete", {}, "repository.delete")).json.type).toBe("RepoNameOrUriMissing");
    await rpc("/package/repository/delete", { name: "fixtures" }, "repository.delete");
    expect((await rpc("/package/search", { query: "redis" }, "search")).json.packages.map((p: { name: string }) => p.name)).toEqual(["redis-lite"]);
  });

  it("capabilities, health and the /cosmos/service prefix", async () => {
    const caps = await fetch(`${base}/capabilities`);
    expect(caps.headers.get("content-type")).toBe("application/vnd.dcos.capabilities+json;charset=utf-8;version=v1");
    expect(((await caps.json()) as { capabilities: { name: string }[] }).capabilities).toContainEqual({ name: "PACKAGE_MANAGEMENT" });
    expect((await fetch(`${base}/health`)).status).toBe(200);
    // /cosmos/service/<rpc> is the service namespace (Admin Router strips /cosmos): describe reaches Marathon.
    const viaAlias = await fetch(`${base}/cosmos/service/describe`, {
      method: "POST",
      headers: { "content-type": cosmosType("service", "describe-request", 1), accept: cosmosType("service", "describe-response", 1) },
      body: JSON.stringify({ appId: "/static-web" }),
    });
    expect(viaAlias.status).toBe(503);
    expect(((await viaAlias.json()) as any).type).toBe("ServiceUnavailable");
    expect((await rpc("/cosmos/service/search", { query: "echo" }, "search")).json.type).toBe("EndpointNotFound");
  });

  it("unknown RPCs and wrong methods are Cosmos errors too", async () => {
    const missing = await fetch(`${base}/package/frobnicate`, { method: "POST", body: "{}" });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe(ERROR_TYPE);
    expect(await missing.json()).toMatchObject({ type: "EndpointNotFound", message: expect.stringContaining("/package/search") as string, data: { path: "/package/frobnicate" } });
    const get = await fetch(`${base}/package/search`);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect(await get.json()).toMatchObject({ type: "MethodNotAllowed" });
  });

  it("the repository list survives a restart on the same Store; the defaults apply only until it is changed", async () => {
    await rpc("/package/repository/add", { name: "fixtures", uri: `${sharedFixtures}/universe` }, "repository.add");
    const again = createServer({ config: { port: 0, ip: "127.0.0.1", marathon: "http://127.0.0.1:1", uninstall_timeout: 5 }, store, log: silentLogger(), defaults: [{ name: "Other", uri: "/nowhere" }] });
    const url = (await again.listen()).url;
    try {
      const res = await fetch(`${url}/package/repository/list`, { method: "POST", body: "{}", headers: { "content-type": "application/json", accept: cosmosType("package", "repository.list-response", 1) } });
      const body = (await res.json()) as any;
      expect(body.repositories?.map((r: { name: string }) => r.name), JSON.stringify(body)).toEqual(["Caravel", "fixtures"]);
    } finally {
      await again.close();
    }
    await rpc("/package/repository/delete", { name: "fixtures" }, "repository.delete");
  });
});

describe("--repositories", () => {
  it("takes a JSON list of {name, uri}; anything else is refused with an example", () => {
    expect(UniverseConfig.parse({ repositories: '[{"name":"a","uri":"file:///r"}]' }).repositories).toEqual([{ name: "a", uri: "file:///r" }]);
    const bad = UniverseConfig.safeParse({ repositories: '{"name":"a"}' });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.message).toContain('must be a JSON list like [{"name":"Caravel","uri":"file:///dir"}]');
    expect(UniverseConfig.parse({}).repositories).toBeUndefined();
  });
});
