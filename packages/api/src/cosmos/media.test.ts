import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { contentTypeMatches, cosmosType, negotiate, parseAccept } from "./media.js";

const INSTALL_V1 = cosmosType("package", "install-response", 1);
const INSTALL_V2 = cosmosType("package", "install-response", 2);
const ERROR = "application/vnd.dcos.package.error+json;charset=utf-8;version=v1";

describe("Accept parsing and negotiation", () => {
  it("parses the Go client's two-type list, each with its own parameters", () => {
    const ranges = parseAccept(`${INSTALL_V1},${ERROR}`);
    expect(ranges.map((r) => [r.type, r.params.version])).toEqual([
      ["application/vnd.dcos.package.install-response+json", "v1"],
      ["application/vnd.dcos.package.error+json", "v1"],
    ]);
    expect(negotiate(`${INSTALL_V1},${ERROR}`, [INSTALL_V2, INSTALL_V1])).toBe(INSTALL_V1);
  });

  it("honours q, spaces, quoted parameters and wildcards; an empty Accept takes the first offer", () => {
    expect(negotiate(`${INSTALL_V1};q=0.2, application/vnd.dcos.package.install-response+json; charset="UTF-8"; version=v2`, [INSTALL_V2, INSTALL_V1])).toBe(INSTALL_V2);
    expect(negotiate("*/*", [INSTALL_V2, INSTALL_V1])).toBe(INSTALL_V2);
    expect(negotiate("application/*", [INSTALL_V2])).toBe(INSTALL_V2);
    expect(negotiate(undefined, [INSTALL_V2])).toBe(INSTALL_V2);
    expect(negotiate("application/vnd.dcos.package.install-response+json", [INSTALL_V2, INSTALL_V1])).toBe(INSTALL_V2);
  });

  it("nothing usable → undefined (406)", () => {
    expect(negotiate("text/html", [INSTALL_V1])).toBeUndefined();
    expect(negotiate(cosmosType("package", "install-response", 7), [INSTALL_V1, INSTALL_V2])).toBeUndefined();
    expect(negotiate(`${INSTALL_V1};q=0`, [INSTALL_V1])).toBeUndefined();
  });

  it("request Content-Type: the versioned type, plain JSON or none; another version or type is refused", () => {
    const req = cosmosType("package", "search-request", 1);
    expect(contentTypeMatches(req, req)).toBe(true);
    expect(contentTypeMatches("application/vnd.dcos.package.search-request+json; charset=utf-8; version=v1", req)).toBe(true);
    expect(contentTypeMatches("application/json; charset=utf-8", req)).toBe(true);
    expect(contentTypeMatches(undefined, req)).toBe(true);
    expect(contentTypeMatches(cosmosType("package", "search-request", 2), req)).toBe(false);
    expect(contentTypeMatches("text/plain", req)).toBe(false);
  });

  it("property: parsing never throws and every offered type found in Accept is chosen", () => {
    fc.assert(fc.property(fc.string(), (s) => {
      parseAccept(s);
      return negotiate(`${s},${INSTALL_V1}`, [INSTALL_V1]) === INSTALL_V1 || s.includes('"');
    }));
  });
});
