import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AppDefinition } from "@caravel/api";
import { makeApp, makeInstance } from "../test-helpers.js";
import { countsAsHealthy, isActive, type Instance } from "../instances/instance.js";
import { delayFor, recordFailure, healthyRunResets } from "../instances/backoff.js";
import { selectVictims } from "../instances/kill-selection.js";
import { buildPlan, dependencyCycle, needsRestart } from "./plan.js";
import { controlApp, restartBounds } from "./control.js";

const map = (...apps: AppDefinition[]) => new Map(apps.map((a) => [a.id, a]));

describe("deployment plans", () => {
  it("orders stop, start, then dependency levels; scale-only changes scale", () => {
    const db = makeApp({ id: "/db" });
    const web = makeApp({ id: "/web", dependencies: ["/db"] });
    const old = makeApp({ id: "/old" });
    const plan = buildPlan(map(old), map(db, web), { id: "d1", version: "v2" });
    expect(plan.steps).toEqual([
      { actions: [{ action: "StopApplication", app: "/old" }] },
      { actions: [{ action: "StartApplication", app: "/db" }, { action: "StartApplication", app: "/web" }] },
      { actions: [{ action: "ScaleApplication", app: "/db" }] },
      { actions: [{ action: "ScaleApplication", app: "/web" }] },
    ]);
    const scaled = buildPlan(map(db), map({ ...db, instances: 5, version: "v2" }), { id: "d2", version: "v2" });
    expect(scaled.steps).toEqual([{ actions: [{ action: "ScaleApplication", app: "/db" }] }]);
    const changed = buildPlan(map(db), map({ ...db, cmd: "other" }), { id: "d3", version: "v2" });
    expect(changed.steps).toEqual([{ actions: [{ action: "RestartApplication", app: "/db" }] }]);
    expect(needsRestart(db, { ...db, instances: 9 })).toBe(false);
    expect(needsRestart(db, { ...db, labels: { a: "b" } })).toBe(true);
  });
  it("depends on whole groups and finds cycles", () => {
    const a = makeApp({ id: "/g/a" });
    const b = makeApp({ id: "/g/b" });
    const c = makeApp({ id: "/c", dependencies: ["/g"] });
    const plan = buildPlan(new Map(), map(a, b, c), { id: "d", version: "v" });
    expect(plan.steps.at(-1)).toEqual({ actions: [{ action: "ScaleApplication", app: "/c" }] });
    expect(dependencyCycle(map(makeApp({ id: "/x", dependencies: ["/y"] }), makeApp({ id: "/y", dependencies: ["/x"] })))).toEqual(["/x", "/y", "/x"]);
  });
});

describe("backoff and kill selection", () => {
  it("grows by the factor up to the cap and resets after a healthy run", () => {
    const spec = { backoffSeconds: 1, backoffFactor: 2, maxLaunchDelaySeconds: 5 };
    expect([1, 2, 3, 4, 5].map((n) => delayFor(spec, n))).toEqual([1000, 2000, 4000, 5000, 5000]);
    const b = recordFailure(recordFailure(undefined, spec, 0), spec, 1000);
    expect(b).toEqual({ failures: 2, delayMs: 2000, delayUntil: 3000, lastFailureAt: 1000 });
    expect(healthyRunResets(b, 2000)).toBe(false);
    expect(healthyRunResets(b, 3000)).toBe(true);
  });
  it("kills staging and unhealthy first, then by age", () => {
    const old = makeInstance({ stagedAt: 1 });
    const young = makeInstance({ stagedAt: 9 });
    const staging = makeInstance({ stagedAt: 2, state: "TASK_STAGING" });
    expect(selectVictims([old, young, staging], 2, "YOUNGEST_FIRST")).toEqual([staging, young]);
    expect(selectVictims([old, young, staging], 2, "OLDEST_FIRST")).toEqual([staging, old]);
  });
});

describe("app control", () => {
  it("scales up and down without touching instances of the current config", () => {
    const app = makeApp({ instances: 3 });
    const one = [makeInstance()];
    expect(controlApp({ app, action: "ScaleApplication", instances: one, now: 0 })).toMatchObject({ launch: 2, kill: [], done: false });
    const five = Array.from({ length: 5 }, (_, i) => makeInstance({ stagedAt: i }));
    const down = controlApp({ app, action: "ScaleApplication", instances: five, now: 0 });
    expect(down.launch).toBe(0);
    expect(down.kill.map((i) => i.stagedAt)).toEqual([4, 3]);
  });
  it("replaces an unreachable instance after inactiveAfterSeconds", () => {
    const app = makeApp({ instances: 1, unreachableStrategy: { inactiveAfterSeconds: 10, expungeAfterSeconds: 20 } });
    const lost = makeInstance({ state: "TASK_UNREACHABLE", unreachableSince: 0 });
    expect(controlApp({ app, instances: [lost], now: 5_000 }).launch).toBe(0);
    expect(controlApp({ app, instances: [lost], now: 10_000 }).launch).toBe(1);
  });
  it("does not count instances that are not ready yet (readiness checks)", () => {
    const app = makeApp({ instances: 1, cmd: "new", version: "v2", versionInfo: { lastScalingAt: "v2", lastConfigChangeAt: "v2" } });
    const old = makeInstance({});
    const fresh = makeInstance({ configVersion: "v2", ready: false });
    const out = controlApp({ app, action: "RestartApplication", instances: [old, fresh], now: 0 });
    expect(out.kill).toEqual([]);
    expect(out.done).toBe(false);
    const ready = controlApp({ app, action: "RestartApplication", instances: [old, { ...fresh, ready: true }], now: 0 });
    expect(ready.kill).toEqual([old]);
  });

  it("computes Marathon's restart bounds", () => {
    const app = (mhc: number, moc: number, n: number) => makeApp({ instances: n, upgradeStrategy: { minimumHealthCapacity: mhc, maximumOverCapacity: moc } });
    expect(restartBounds(app(1, 1, 3), 3)).toEqual({ minHealthy: 3, maxCapacity: 6 });
    expect(restartBounds(app(0.7, 0, 3), 3)).toEqual({ minHealthy: 3, maxCapacity: 4 });
    expect(restartBounds(app(0.5, 0, 4), 4)).toEqual({ minHealthy: 2, maxCapacity: 4 });
  });

  it("a simulated rolling restart never drops below minimumHealthCapacity and finishes (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom(0, 0.25, 0.5, 0.7, 1),
        fc.constantFrom(0, 0.2, 0.5, 1),
        fc.array(fc.nat(), { minLength: 200, maxLength: 200 }),
        (n, mhc, moc, choices) => {
          const v2 = makeApp({ instances: n, cmd: "new", version: "v2", versionInfo: { lastScalingAt: "v2", lastConfigChangeAt: "v2" }, healthChecks: [{ protocol: "MESOS_HTTP" }], upgradeStrategy: { minimumHealthCapacity: mhc, maximumOverCapacity: moc } });
          let instances: Instance[] = Array.from({ length: n }, () => makeInstance({ healthy: true }));
          const minHealthy = Math.ceil(n * mhc - 1e-9);
          let step = 0;
          for (const choice of choices) {
            const out = controlApp({ app: v2, action: "RestartApplication", instances, now: step++ });
            if (out.done) break;
            // Kills take effect at once (the worst case for capacity); launches come up unhealthy.
            const killed = new Set(out.kill.map((i) => i.instanceId));
            instances = instances.map((i) => (killed.has(i.instanceId) ? { ...i, goal: "stopped" as const, state: "TASK_KILLED" as const } : i));
            for (let k = 0; k < out.launch; k++) instances.push(makeInstance({ configVersion: "v2", version: "v2", state: "TASK_STAGING", healthy: undefined }));
            const healthy = instances.filter((i) => i.goal === "running" && countsAsHealthy(i, true)).length;
            expect(healthy).toBeGreaterThanOrEqual(Math.min(minHealthy, n));
            // One pending new instance becomes healthy, picked by the random choice.
            const pending = instances.filter((i) => i.goal === "running" && i.state === "TASK_STAGING");
            if (pending.length) {
              const pick = pending[choice % pending.length]!;
              instances = instances.map((i) => (i === pick ? { ...i, state: "TASK_RUNNING" as const, healthy: true } : i));
            }
            instances = instances.filter(isActive);
          }
          const final = controlApp({ app: v2, action: "RestartApplication", instances, now: step });
          expect(final.done).toBe(true);
          expect(instances.filter((i) => i.configVersion === "v2").length).toBe(n);
        },
      ),
      { numRuns: 200 },
    );
  });
});
