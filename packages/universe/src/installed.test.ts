import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { listAllows, upgradePaths } from "./installed.js";
import type { PackageEntry } from "./model.js";

const pkg = (version: string, extra: Partial<PackageEntry> = {}): PackageEntry => ({ packagingVersion: "4.0", name: "p", version, releaseVersion: 0, ...extra });

describe("upgrade paths", () => {
  it("upgradesTo: releases whose upgradesFrom names the installed version or holds *; downgradesTo: what the installed one lists", () => {
    const installed = pkg("1.0", { downgradesTo: ["0.9"] });
    const releases = [pkg("2.0", { upgradesFrom: ["1.0"] }), pkg("3.0", { upgradesFrom: ["*"] }), pkg("4.0", { upgradesFrom: ["2.0"] }), pkg("1.0"), pkg("0.9"), pkg("0.8")];
    expect(upgradePaths(installed, releases)).toEqual({ upgradesTo: ["2.0", "3.0"], downgradesTo: ["0.9"] });
    expect(upgradePaths(pkg("1.0", { downgradesTo: ["*"] }), releases).downgradesTo).toEqual(["2.0", "3.0", "4.0", "0.9", "0.8"]);
  });

  it("property: no list or an empty list allows nothing; the installed version is never its own path", () => {
    fc.assert(fc.property(fc.array(fc.string(), { maxLength: 5 }), fc.string(), (versions, v) => {
      expect(listAllows(undefined, v)).toBe(false);
      expect(listAllows([], v)).toBe(false);
      const paths = upgradePaths(pkg(v, { downgradesTo: ["*"] }), [...versions, v].map((x) => pkg(x, { upgradesFrom: ["*"] })));
      return !paths.upgradesTo.includes(v) && !paths.downgradesTo.includes(v);
    }));
  });
});
