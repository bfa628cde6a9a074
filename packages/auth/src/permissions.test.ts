import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ACTIONS, type Action } from "@caravel/api";
import { covers, isAllowed, mayReachBelow, normalizeResource, serviceResource, type Identity } from "./permissions.js";

const user = (grants: Identity["grants"]): Identity => ({ uid: "u", superuser: false, grants });
const segment = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,6}$/);
const appPath = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => "/" + s.join("/"));
const action = fc.constantFrom(...ACTIONS);

describe("isAllowed", () => {
  it("a grant on a path covers the path and everything below it, and not siblings sharing a prefix", () => {
    const teamA = user([{ rid: "caravel:service:/team-a", actions: ["full"] }]);
    expect(isAllowed(teamA, "caravel:service:/team-a", "read")).toBe(true);
    expect(isAllowed(teamA, "caravel:service:/team-a/x", "delete")).toBe(true);
    expect(isAllowed(teamA, "caravel:service:/team-a/x/y/", "update")).toBe(true);
    expect(isAllowed(teamA, "caravel:service:/team-ab", "read")).toBe(false);
    expect(isAllowed(teamA, "caravel:service:/team-b/x", "read")).toBe(false);
    expect(isAllowed(teamA, "caravel:service:/", "read")).toBe(false);
    expect(isAllowed(teamA, "caravel:mesos:master:state", "read")).toBe(false);
  });

  it("colon segments nest; actions other than full are exact", () => {
    const ops = user([{ rid: "caravel:mesos", actions: ["read"] }]);
    expect(isAllowed(ops, "caravel:mesos:master:state", "read")).toBe(true);
    expect(isAllowed(ops, "caravel:mesos:master:state", "update")).toBe(false);
    expect(isAllowed(ops, "caravel:mesosx", "read")).toBe(false);
  });

  it("superusers may do anything, by flag or by the superuser grant", () => {
    expect(isAllowed({ uid: "a", superuser: true, grants: [] }, "caravel:anything", "delete")).toBe(true);
    expect(isAllowed(user([{ rid: "caravel:superuser", actions: ["full"] }]), "caravel:service:/x", "create")).toBe(true);
    expect(isAllowed(user([{ rid: "caravel:superuser", actions: ["read"] }]), "caravel:service:/x", "create")).toBe(false);
  });

  it("property: a path grant allows exactly the paths at or below it", () => {
    fc.assert(
      fc.property(appPath, appPath, action, (granted, requested, act) => {
        const id = user([{ rid: serviceResource(granted), actions: ["full"] }]);
        const below = requested === granted || requested.startsWith(granted + "/");
        expect(isAllowed(id, serviceResource(requested), act)).toBe(below);
      }),
    );
  });

  it("property: no grants means nothing is allowed; full allows every action where any action is allowed", () => {
    fc.assert(
      fc.property(appPath, appPath, action, fc.subarray([...ACTIONS] as Action[], { minLength: 1 }), (granted, requested, act, actions) => {
        expect(isAllowed(user([]), serviceResource(requested), act)).toBe(false);
        const some = isAllowed(user([{ rid: serviceResource(granted), actions }]), serviceResource(requested), act);
        const full = isAllowed(user([{ rid: serviceResource(granted), actions: ["full"] }]), serviceResource(requested), act);
        if (some) expect(full).toBe(true);
        expect(some).toBe(full && (actions.includes(act) || actions.includes("full")));
      }),
    );
  });

  it("property: adding grants never takes a permission away (monotonic)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(appPath, action)), fc.tuple(appPath, action), appPath, action, (grants, extra, requested, act) => {
        const base = grants.map(([p, a]) => ({ rid: serviceResource(p), actions: [a] }));
        const before = isAllowed(user(base), serviceResource(requested), act);
        const after = isAllowed(user([...base, { rid: serviceResource(extra[0]), actions: [extra[1]] }]), serviceResource(requested), act);
        if (before) expect(after).toBe(true);
      }),
    );
  });

  it("property: covers is reflexive and transitive, and normalisation does not change the answer", () => {
    fc.assert(
      fc.property(appPath, appPath, appPath, (a, b, c) => {
        const [ra, rb, rc] = [a, b, c].map(serviceResource) as [string, string, string];
        expect(covers(ra, ra)).toBe(true);
        if (covers(ra, rb) && covers(rb, rc)) expect(covers(ra, rc)).toBe(true);
        expect(covers(ra + "/", "caravel:service:/" + b + "//")).toBe(covers(ra, rb));
      }),
    );
  });

  it("mayReachBelow sees grants deeper than the resource", () => {
    const teamA = user([{ rid: "caravel:service:/team-a/web", actions: ["read"] }]);
    expect(mayReachBelow(teamA, "caravel:service:/team-a", "read")).toBe(true);
    expect(mayReachBelow(teamA, "caravel:service:/team-b", "read")).toBe(false);
    expect(normalizeResource("caravel:service://a//b/")).toBe("caravel:service:/a/b");
    expect(serviceResource("team-a/web/")).toBe("caravel:service:/team-a/web");
  });
});
