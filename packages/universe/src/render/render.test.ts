import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseAppDefinition } from "@caravel/api";
import { readDirectoryRepository } from "../repo/directory.js";
import { renderPackage } from "./render.js";
import { configDefaults, deepMerge } from "./options.js";
import { decodePackageLabels } from "./labels.js";
import { asJsonText, prepareValue } from "./prepare.js";
import { CosmosError } from "../errors.js";
import type { PackageEntry } from "../model.js";
import Mustache from "mustache";
import { sharedFixtures } from "@caravel/testing";

const FIXTURES = `${sharedFixtures}/universe`;

async function fixtures(): Promise<Map<string, PackageEntry>> {
  const { packages } = await readDirectoryRepository(FIXTURES);
  return new Map(packages.map((p) => [p.name, p]));
}

const entry = (template: string, config?: Record<string, unknown>): PackageEntry => ({
  packagingVersion: "3.0", name: "t", version: "1", releaseVersion: 0,
  marathon: { v2AppMustacheTemplate: Buffer.from(template).toString("base64") },
  ...(config ? { config } : {}),
});

describe("rendering the real fixture packages", () => {
  it.each(["httpbin", "nginx", "redis"])("%s renders to an app Marathon accepts, with DCOS_PACKAGE labels", async (name) => {
    const pkg = (await fixtures()).get(name)!;
    const { marathonJson } = renderPackage({ entry: pkg, source: "file:///fixtures" });
    const parsed = parseAppDefinition(marathonJson);
    expect(parsed.ok ? [] : parsed.details).toEqual([]);
    const labels = marathonJson!.labels as Record<string, string>;
    expect(labels.DCOS_PACKAGE_NAME).toBe(name);
    expect(labels.DCOS_PACKAGE_VERSION).toBe(pkg.version);
    expect(labels.DCOS_PACKAGE_SOURCE).toBe("file:///fixtures");
    expect(Buffer.from(labels.DCOS_PACKAGE_OPTIONS!, "base64").toString()).toBe("{}");
    expect(decodePackageLabels(labels)).toMatchObject({ name, version: pkg.version });
  });

  it("nginx: sections toggle fragments, options overlay defaults, appId overrides id", async () => {
    const pkg = (await fixtures()).get("nginx")!;
    const { marathonJson } = renderPackage({ entry: pkg, source: "s", options: { nginx: { bridge: true, contentUrl: "http://x/a.tgz", instances: 3 } }, appId: "/web/front" });
    expect(marathonJson).toMatchObject({ id: "/web/front", instances: 3, cpus: 1, uris: ["http://x/a.tgz"] });
    expect((marathonJson!.container as { docker: { network: string } }).docker.network).toBe("BRIDGE");
  });

  it("redis: the image comes from resource.json and the VIP survives", async () => {
    const { marathonJson } = renderPackage({ entry: (await fixtures()).get("redis")!, source: "s" });
    expect(JSON.stringify(marathonJson)).toContain('"VIP_0":"/redis:6379"');
    expect(marathonJson!.id).toBe("redis");
  });

  it("option errors name the path", async () => {
    const pkg = (await fixtures()).get("redis")!;
    let caught: unknown;
    try {
      renderPackage({ entry: pkg, source: "s", options: { redis: { cpus: 0.01, mem: "lots" } } });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CosmosError);
    const err = caught as CosmosError;
    expect(err.type).toBe("JsonSchemaMismatch");
    expect(err.message).toContain("/redis/cpus: must be >= 1");
    expect(err.message).toContain("/redis/mem: must be number");
  });
});

describe("Cosmos value preparation", () => {
  it("strings keep valid JSON when they hold quotes, backslashes and newlines", () => {
    const { marathonJson } = renderPackage({ entry: entry('{"id":"/a","cmd":"{{s.cmd}}"}', { type: "object", properties: { s: { type: "object", properties: { cmd: { type: "string", default: 'echo "hi" \\ \n done' } } } } }), source: "s" });
    expect(marathonJson!.cmd).toBe('echo "hi" \\ \n done');
  });

  it("arrays print in Java list form with quoted strings; null prints nothing; asJson prints JSON", () => {
    const raw = { a: ["x", "y"], n: null, o: { k: 1 } };
    const view = { ...(prepareValue(raw) as object), asJson: () => (t: string) => asJsonText(raw, t) };
    const out = Mustache.render("{{a}}|{{n}}|{{#asJson}}o{{/asJson}}|{{#asJson}}missing{{/asJson}}", view, undefined, { escape: String });
    expect(out).toBe('["x", "y"]||{"k":1}|null');
  });

  it("options without a config are refused", () => {
    expect(() => renderPackage({ entry: entry('{"id":"/a"}'), source: "s", options: { a: 1 } })).toThrowError(/no config.json/);
  });

  it("a template that renders to a non-object is MarathonTemplateMustBeJsonObject", () => {
    expect(() => renderPackage({ entry: entry("[1]"), source: "s" })).toThrowError(expect.objectContaining({ type: "MarathonTemplateMustBeJsonObject" }) as Error);
  });

  it("property: any string option renders back to itself through a quoted template slot", () => {
    const config = { type: "object", properties: { v: { type: "string", default: "" } } };
    fc.assert(fc.property(fc.string(), (s) => {
      const { marathonJson } = renderPackage({ entry: entry('{"id":"/a","cmd":"{{v}}"}', config), source: "s", options: { v: s } });
      return marathonJson!.cmd === s;
    }), { numRuns: 200 });
  });

  it("defaults recurse and skip empty sections; merge is deep", () => {
    const schema = { properties: { a: { properties: { b: { default: 1 }, c: { type: "string" } } }, e: { properties: { f: { type: "string" } } } } };
    expect(configDefaults(schema)).toEqual({ a: { b: 1 } });
    expect(deepMerge({ a: { b: 1, c: 2 } }, { a: { c: 3 } })).toEqual({ a: { b: 1, c: 3 } });
  });
});
