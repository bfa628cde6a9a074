import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAppDefinition } from "@caravel/api";
import { BUILTIN_REPOSITORY_DIR } from "../config.js";
import { renderPackage } from "../render/render.js";
import { loadRepository } from "./load.js";
import { parseRepositoryIndex, toRepositoryIndex } from "./index-json.js";
import { Catalog } from "../catalog.js";
import { newAjv } from "../ajv.js";
import { sharedFixtures } from "@caravel/testing";

describe("the built-in repository", () => {
  it("loads at least 6 packages with no problems, each with icon, description, config, health check and VIP", async () => {
    const repo = await loadRepository("Caravel", `file://${BUILTIN_REPOSITORY_DIR}`);
    expect(repo.errors).toEqual([]);
    expect(repo.packages.map((p) => p.name).sort()).toEqual(["batch-pi", "http-echo", "load-generator", "node-hello", "redis-lite", "static-web"]);
    for (const p of repo.packages) {
      expect(String((p.resource as { images: Record<string, string> }).images["icon-small"])).toMatch(/^data:image\/svg\+xml;base64,/);
      expect(p.description!.length).toBeGreaterThan(20);
      const { marathonJson } = renderPackage({ entry: p, source: repo.uri });
      const parsed = parseAppDefinition(marathonJson);
      expect(parsed.ok ? [] : parsed.details, p.name).toEqual([]);
      expect((marathonJson!.healthChecks as unknown[]).length, p.name).toBe(1);
      expect(JSON.stringify(marathonJson)).toContain(`"VIP_0":"/${p.name}:`);
    }
  });
});

describe("broken repositories are reported, not fatal", () => {
  const dir = mkdtempSync(join(tmpdir(), "universe-repo-"));

  it("invalid JSON", async () => {
    writeFileSync(join(dir, "bad.json"), "{ not json");
    const repo = await loadRepository("bad", join(dir, "bad.json"));
    expect(repo.packages).toEqual([]);
    expect(repo.errors[0]!.message).toMatch(/not valid JSON/);
  });

  it("an unknown packaging version drops only that package", () => {
    const good = { packagingVersion: "3.0", name: "ok", version: "1", releaseVersion: 0, maintainer: "m", description: "d", tags: [] };
    const { packages, errors } = parseRepositoryIndex(JSON.stringify({ packages: [good, { ...good, name: "future", packagingVersion: "9.0" }] }), "idx");
    expect(packages.map((p) => p.name)).toEqual(["ok"]);
    expect(errors).toEqual([{ package: "future/0", message: expect.stringMatching(/unknown packagingVersion "9.0"/) as string }]);
  });

  it("a URL that 404s", async () => {
    const { createServer } = await import("node:http");
    const server = createServer((_q, r) => r.writeHead(404).end()).listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/repo`;
    const repo = await loadRepository("gone", url);
    server.close();
    expect(repo.errors[0]!.message).toBe(`${url}: the server answered HTTP 404; check the repository URL`);
  });

  it("an HTTP index is fetched with the v5,v4,v3 Accept list and loaded", async () => {
    const { createServer } = await import("node:http");
    const builtin = await loadRepository("Caravel", BUILTIN_REPOSITORY_DIR);
    let accept = "";
    const server = createServer((q, r) => {
      accept = q.headers.accept ?? "";
      r.writeHead(200, { "content-type": "application/vnd.dcos.universe.repo+json;charset=utf-8;version=v5" }).end(JSON.stringify(toRepositoryIndex(builtin.packages)));
    }).listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const repo = await loadRepository("remote", `http://127.0.0.1:${(server.address() as { port: number }).port}/repo`);
    server.close();
    expect(accept.split(",")[0]).toBe("application/vnd.dcos.universe.repo+json;charset=utf-8;version=v5");
    expect(repo.errors).toEqual([]);
    expect(repo.packages).toHaveLength(builtin.packages.length);
  });

  it("schema problems are reported per package but keep it usable; duplicate keys are tolerated", async () => {
    const repo = await loadRepository("fixtures", `${sharedFixtures}/universe`);
    expect(repo.packages.map((p) => p.name).sort()).toEqual(["httpbin", "nginx", "redis"]);
  });

  it("duplicate keys in a real package.json: the last one wins and the package loads cleanly", async () => {
    const repo = await loadRepository("fixtures", `${sharedFixtures}/universe`);
    const redis = repo.packages.find((p) => p.name === "redis")!;
    // redis/2/package.json has "website" twice (http://www.redis.io, then http://redis.io).
    expect(redis.website).toBe("http://redis.io");
    expect(repo.errors).toEqual([]);
  });

  it("index formats: a v3 index of 2.0/3.0 packages and a v5 index of 4.0/5.0 packages (upgradesFrom, manager) load without problems", () => {
    const common = { maintainer: "m", description: "d", tags: ["t"], releaseVersion: 0, marathon: { v2AppMustacheTemplate: Buffer.from('{"id":"/x","cmd":"sleep 1"}').toString("base64") } };
    const v3 = parseRepositoryIndex(JSON.stringify({ packages: [
      { ...common, packagingVersion: "2.0", name: "old", version: "1", command: { pip: ["x"] }, resource: { assets: { uris: { a: "http://x/a" } } } },
      { ...common, packagingVersion: "3.0", name: "mid", version: "1", minDcosReleaseVersion: "1.8", lastUpdated: 1 },
    ] }), "v3");
    expect(v3.errors).toEqual([]);
    expect(v3.packages.map((p) => p.name)).toEqual(["old", "mid"]);
    const v5 = parseRepositoryIndex(JSON.stringify({ packages: [
      { ...common, packagingVersion: "4.0", name: "four", version: "2", upgradesFrom: ["1"], downgradesTo: ["*"] },
      { ...common, packagingVersion: "5.0", name: "five", version: "3", upgradesFrom: ["*"], manager: { packageName: "mgr", minPackageVersion: "1.0" } },
      { ...common, packagingVersion: "5.0", name: "cli-only", version: "1", marathon: undefined },
    ] }), "v5");
    expect(v5.errors).toEqual([]);
    expect(v5.packages.map((p) => p.name)).toEqual(["four", "five", "cli-only"]);
    expect(renderPackage({ entry: v5.packages[1]!, source: "s" }).marathonJson).toMatchObject({ id: "/x", labels: { DCOS_PACKAGE_NAME: "five" } });
    expect(renderPackage({ entry: v5.packages[2]!, source: "s" }).marathonJson).toBeUndefined();
  });

  it("schema complaints are reported per package with the field's path, and the package stays usable; unknown fields pass", () => {
    const { packages, errors } = parseRepositoryIndex(JSON.stringify({ packages: [
      { packagingVersion: "3.0", name: "soft", version: "1", releaseVersion: 0, description: "d", tags: ["has space"], "x-custom": 1, resource: { images: { "icon-small": 5 } } },
      { packagingVersion: "5.0", name: "five", version: "1", releaseVersion: 0, maintainer: "m", description: "d", tags: [], manager: { packageName: 3 }, "x-unknown": true },
    ] }), "idx");
    expect(packages.map((p) => p.name)).toEqual(["soft", "five"]);
    expect(errors).toEqual([
      { package: "soft/0", message: "idx packages[0]: / must have required property 'maintainer' (package kept)" },
      { package: "soft/0", message: 'idx packages[0]: /tags/0 must match pattern "^[^\\s]+$" (package kept)' },
      { package: "soft/0", message: "idx packages[0]: resource.json: /images/icon-small must be string (package kept)" },
      { package: "five/0", message: "idx packages[1]: /manager/packageName must be string (package kept)" },
    ]);
  });

  it("command.json in a 4.0/5.0 package and a 2.0 package without a template are dropped, others kept", () => {
    const base = { maintainer: "m", description: "d", tags: [], releaseVersion: 1, version: "1" };
    const { packages, errors } = parseRepositoryIndex(JSON.stringify({ packages: [
      { ...base, packagingVersion: "4.0", name: "cmd-four", command: { pip: ["x"] } },
      { ...base, packagingVersion: "2.0", name: "no-template" },
      { ...base, packagingVersion: "3.0", name: "fine" },
    ] }), "idx");
    expect(packages.map((p) => p.name)).toEqual(["fine"]);
    expect(errors.map((e) => e.package)).toEqual(["cmd-four/1", "no-template/1"]);
    expect(errors[0]!.message).toMatch(/command.json is not allowed in packagingVersion 4.0/);
  });

  it("the index of the built-in repository validates against Universe's own v5 repository schema", async () => {
    const repo = await loadRepository("Caravel", BUILTIN_REPOSITORY_DIR);
    const ajv = newAjv();
    const read = (f: string) => JSON.parse(readFileSync(join(sharedFixtures, "universe/schema", f), "utf8")) as Record<string, unknown>;
    ajv.addSchema(read("vX-repo-definitions.json"), "vX-repo-definitions.json");
    const validate = ajv.compile(read("v5-repo-schema.json"));
    const index = JSON.parse(JSON.stringify(toRepositoryIndex(repo.packages))) as unknown;
    expect(validate(index) ? [] : validate.errors).toEqual([]);
  });

  it("an index round-trips through toRepositoryIndex", async () => {
    const repo = await loadRepository("Caravel", BUILTIN_REPOSITORY_DIR);
    const again = parseRepositoryIndex(JSON.stringify(toRepositoryIndex(repo.packages)), "idx");
    expect(again.errors).toEqual([]);
    expect(again.packages).toEqual(repo.packages);
  });
});

describe("catalog", () => {
  it("search: substring, wildcard, tags; selected first; first repository wins", async () => {
    const builtin = await loadRepository("Caravel", BUILTIN_REPOSITORY_DIR);
    const fixtures = await loadRepository("fixtures", `${sharedFixtures}/universe`);
    const catalog = new Catalog([builtin, fixtures]);
    expect(catalog.search("")[0]!.name).toBe("static-web");
    expect(catalog.search("REDIS").map((r) => r.name).sort()).toEqual(["redis", "redis-lite"]);
    expect(catalog.search("http*").map((r) => r.name).sort()).toEqual(["http-echo", "httpbin", "load-generator", "node-hello", "static-web"]);
    expect(catalog.search("*-echo").map((r) => r.name)).toEqual(["http-echo"]);
    expect(catalog.search("cache").map((r) => r.name).sort()).toEqual(["nginx", "redis", "redis-lite"]);
    expect(catalog.resolve("nginx").repo.name).toBe("fixtures");
    expect(() => catalog.resolve("nope")).toThrowError(/not found/);
    expect(() => catalog.resolve("nginx", "9")).toThrowError(/available: 1.8.1/);
  });
});
