import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { makeApp, makeOffer } from "../test-helpers.js";
import { constraintRejection, spreadOf } from "./constraints.js";
import { explainPlacement } from "./explain.js";
import { fitInstance } from "./fit.js";
import { placeInstances } from "./place.js";

const ctx = { now: 1_000, defaultAcceptedRoles: ["*"], spread: new Map() };

describe("fitInstance filters", () => {
  it("rejects on resources with a detail a person can act on", () => {
    const r = fitInstance(makeApp({ cpus: 512 }), makeOffer("a1", "cpus:1.9;mem:1024;ports:[31000-31001]"), ctx);
    expect(r).toMatchObject({ fits: false, filter: "cpus", detail: "needs 512 cpus, has 1.9" });
    const m = fitInstance(makeApp({ cpus: 8, mem: 8192 }), makeOffer("a1", "cpus:1;mem:1024;ports:[31000-31001]"), ctx);
    expect(m.fits === false && m.missing).toEqual(["needs 8 cpus, has 1", "needs 8192 MB mem, has 1024 MB"]);
  });
  it("checks roles: slave_public resources only for apps that accept them", () => {
    const pub = makeOffer("p1", "cpus:4;mem:4096;ports:[31000-31005]", { role: "slave_public" });
    expect(fitInstance(makeApp(), pub, ctx)).toMatchObject({ fits: false, filter: "role" });
    expect(fitInstance(makeApp({ acceptedResourceRoles: ["slave_public"] }), pub, ctx).fits).toBe(true);
  });
  it("handles ports: requirePorts and missing ranges", () => {
    const app = makeApp({ portDefinitions: [{ port: 8080 }], requirePorts: true });
    expect(fitInstance(app, makeOffer("a1"), ctx)).toMatchObject({ fits: false, filter: "ports" });
    expect(fitInstance(app, makeOffer("a1", "cpus:4;mem:4096;ports:[8080-8080]"), ctx)).toEqual({ fits: true, hostPorts: [8080] });
    const three = makeApp({ portDefinitions: [{ port: 0 }, { port: 0 }, { port: 0 }] });
    expect(fitInstance(three, makeOffer("a1", "cpus:4;mem:4096;ports:[31000-31001]"), ctx)).toMatchObject({ filter: "ports", detail: "needs 3 port(s), has 2" });
  });
  it("applies backoff and maintenance before anything else", () => {
    expect(fitInstance(makeApp(), makeOffer("a1"), { ...ctx, delayUntil: 5_000 })).toMatchObject({ filter: "backoff" });
    const draining = { ...makeOffer("a1"), draining: true };
    expect(fitInstance(makeApp(), draining, ctx)).toMatchObject({ filter: "maintenance" });
  });
});

describe("constraints", () => {
  const attrs = (host: string, rack = "r1") => ({ hostname: host, rack });
  it("UNIQUE, CLUSTER, LIKE, UNLIKE, MAX_PER, IS, GROUP_BY", () => {
    const spread = spreadOf([["hostname", "UNIQUE"], ["rack", "MAX_PER", "2"]], [attrs("a"), attrs("b")]);
    expect(constraintRejection(["hostname", "UNIQUE"], attrs("a"), spread)).toMatch(/already runs/);
    expect(constraintRejection(["hostname", "UNIQUE"], attrs("c"), spread)).toBeUndefined();
    expect(constraintRejection(["rack", "MAX_PER", "2"], attrs("c"), spread)).toMatch(/at most 2/);
    expect(constraintRejection(["rack", "CLUSTER", "r2"], attrs("c"), spread)).toMatch(/not 'r2'/);
    expect(constraintRejection(["hostname", "LIKE", "a|b"], attrs("ab"), spread)).toMatch(/does not match/);
    expect(constraintRejection(["hostname", "UNLIKE", "a.*"], attrs("ab"), spread)).toMatch(/matches/);
    expect(constraintRejection(["zone", "UNLIKE", "x"], attrs("a"), spread)).toBeUndefined();
    expect(constraintRejection(["zone", "LIKE", "x"], attrs("a"), spread)).toMatch(/no attribute 'zone'/);
    expect(constraintRejection(["cap", "IS", "0.8"], { cap: "0.80" }, spread)).toBeUndefined();
    const g = spreadOf([["rack", "GROUP_BY"]], [attrs("a", "r1")]);
    expect(constraintRejection(["rack", "GROUP_BY"], attrs("b", "r1"), g, new Set(["r1", "r2"]))).toMatch(/already has 1/);
    expect(constraintRejection(["rack", "GROUP_BY"], attrs("b", "r2"), g, new Set(["r1", "r2"]))).toBeUndefined();
  });
});

describe("placeInstances", () => {
  it("spreads instances round-robin and respects hostname UNIQUE", () => {
    const offers = ["a1", "a2", "a3"].map((a) => makeOffer(a));
    const app = makeApp({ instances: 5, constraints: [["hostname", "UNIQUE"]] });
    const out = placeInstances({ demands: [{ app, count: 5 }], offers, placed: new Map(), now: 0, defaultAcceptedRoles: ["*"], maxPerOffer: 100 });
    expect(out.placements.map((p) => p.offer.agentId)).toEqual(["a1", "a2", "a3"]);
    expect(out.unused).toEqual([]);
  });
  it("never uses more than an offer has and never places more than asked (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ cpus: fc.integer({ min: 0, max: 8 }), mem: fc.integer({ min: 0, max: 4096 }), ports: fc.integer({ min: 0, max: 4 }) }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 1, max: 3 }),
        (agents, count, portsPerTask) => {
          const offers = agents.map((a, i) => makeOffer(`a${i}`, `cpus:${a.cpus};mem:${a.mem}${a.ports ? `;ports:[31000-${31000 + a.ports - 1}]` : ""}`));
          const app = makeApp({ cpus: 1, mem: 256, portDefinitions: Array.from({ length: portsPerTask }, () => ({ port: 0 })) });
          const out = placeInstances({ demands: [{ app, count }], offers, placed: new Map(), now: 0, defaultAcceptedRoles: ["*"], maxPerOffer: 100 });
          expect(out.placements.length).toBeLessThanOrEqual(count);
          agents.forEach((a, i) => {
            const mine = out.placements.filter((p) => p.offer.agentId === `a${i}`);
            expect(mine.length).toBeLessThanOrEqual(Math.min(a.cpus, Math.floor(a.mem / 256), Math.floor(a.ports / portsPerTask)));
            const ports = mine.flatMap((p) => p.hostPorts);
            expect(new Set(ports).size).toBe(ports.length);
          });
        },
      ),
    );
  });
});

describe("explainPlacement", () => {
  it("names the first failing filter per agent and the closest fit", () => {
    const app = makeApp({ cpus: 3, mem: 2048 });
    const offers = [makeOffer("small", "cpus:1;mem:512"), makeOffer("near", "cpus:2.5;mem:4096;ports:[31000-31001]"), makeOffer("pub", "cpus:8;mem:8192", { role: "slave_public" })];
    const r = explainPlacement({ app, waiting: 1, offers, placed: [], now: 0, defaultAcceptedRoles: ["*"], lastOfferAt: 0 });
    expect(r.agents.map((a) => [a.agentId, a.rejectedBy])).toEqual([["small", "cpus"], ["near", "cpus"], ["pub", "role"]]);
    expect(r.closestFit).toEqual({ agentId: "near", hostname: "near.local", missing: ["needs 3 cpus, has 2.5"] });
    expect(r.summary).toMatch(/no agent fits/);
    expect(r.lastOfferAt).toBe("1970-01-01T00:00:00.000Z");
  });
});
