import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Catalog } from "./catalog.js";
import type { LoadedRepository, PackageEntry } from "./model.js";

const word = fc.stringMatching(/^[a-z][a-z0-9-]{0,6}[a-z0-9]$/);
const text = fc.string({ unit: fc.constantFrom("a", "b", "B", "-", " ", "\n", "x", "é", "*"), maxLength: 12 });

const entryArb = fc.record({
  name: word,
  description: text,
  tags: fc.array(fc.string({ unit: fc.constantFrom("a", "b", "c", "-"), maxLength: 4 }), { maxLength: 3 }),
  selected: fc.boolean(),
  releaseVersion: fc.nat(3),
});

const repo = (entries: Omit<PackageEntry, "packagingVersion" | "version">[]): LoadedRepository => ({
  name: "r",
  uri: "file:///r",
  errors: [],
  packages: entries.map((e) => ({ packagingVersion: "3.0", version: `v${e.releaseVersion}`, ...e }) as PackageEntry),
});

/** The plain definition of a substring search: any of name, description, tags contains the query. */
function naive(catalog: Catalog, query: string): string[] {
  const q = query.trim().toLowerCase();
  return catalog
    .search("")
    .filter((r) => !q || [r.name, r.description, ...r.tags].some((f) => f.toLowerCase().includes(q)))
    .map((r) => r.name);
}

describe("Catalog search", () => {
  it("property: the one-string indexed search finds exactly what a per-field scan finds, in order", () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 12 }), fc.string({ unit: fc.constantFrom("a", "b", "-", "\n", " ", "x"), maxLength: 3 }), (entries, query) => {
        const catalog = new Catalog([repo(entries)]);
        if (query.includes("*")) return true;
        expect(catalog.search(query).map((r) => r.name)).toEqual(naive(catalog, query));
        return true;
      }),
      { numRuns: 300 },
    );
  });

  it("property: the response bytes are the JSON of the results, cached or not", () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 8 }), fc.string({ unit: fc.constantFrom("a", "b", "*", "-"), maxLength: 3 }), (entries, query) => {
        const catalog = new Catalog([repo(entries)]);
        const expected = JSON.stringify({ packages: catalog.search(query) });
        expect(catalog.searchBody(query).toString()).toBe(expected);
        expect(catalog.searchBody(` ${query.toUpperCase()} `).toString()).toBe(JSON.stringify({ packages: catalog.search(query.toUpperCase()) }));
        expect(catalog.searchBody(query).toString()).toBe(expected);
        return true;
      }),
      { numRuns: 200 },
    );
  });

  it("a description with newlines and a query spanning two fields: no match across fields", () => {
    const catalog = new Catalog([repo([{ name: "ab", description: "line one\nline two", tags: ["cd"], releaseVersion: 0 }])]);
    expect(catalog.search("one\nline").map((r) => r.name)).toEqual(["ab"]);
    expect(catalog.search("two\ncd")).toEqual([]);
    expect(catalog.search("b\nl")).toEqual([]);
    expect(catalog.search("LINE TWO").map((r) => r.name)).toEqual(["ab"]);
  });

  it("selected packages first, then by name; the highest release is current", () => {
    const catalog = new Catalog([repo([
      { name: "zz", releaseVersion: 0, selected: true },
      { name: "aa", releaseVersion: 0 },
      { name: "aa", releaseVersion: 2 },
      { name: "a-b", releaseVersion: 1 },
    ])]);
    expect(catalog.search("").map((r) => [r.name, r.currentVersion])).toEqual([["zz", "v0"], ["a-b", "v1"], ["aa", "v2"]]);
    expect(catalog.search("").find((r) => r.name === "aa")!.versions).toEqual({ v0: "0", v2: "2" });
  });
});
