import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { controlApp } from "../deploy/control.js";
import { countsAsHealthy, isActive, type Instance } from "../instances/instance.js";
import { makeApp, makeInstance } from "../test-helpers.js";
import { PendingInverseOffers, readyToRelease } from "./inverse-offers.js";

const healthCheck = [{ protocol: "HTTP", path: "/", portIndex: 0 }];

describe("drain without downtime: when to accept the inverse offer", () => {
  it("waits while a wanted instance runs on the agent, accepts once Marathon killed or lost them all", () => {
    const i = makeInstance({ agentId: "a1" });
    const other = makeInstance({ agentId: "a2" });
    expect(readyToRelease("a1", [i, other])).toBe(false);
    i.goal = "stopped";
    expect(readyToRelease("a1", [i, other])).toBe(true);
    expect(readyToRelease("a3", [other])).toBe(true);
    const pending = new PendingInverseOffers();
    pending.add("a1", "inv-1");
    pending.add("a2", "inv-2");
    expect(pending.takeReady(() => [i, other])).toEqual(["inv-1"]);
    expect(pending.agents).toEqual(["a2"]);
    pending.rescind("inv-2");
    expect(pending.size).toBe(0);
    pending.add("a3", "inv-3");
    pending.add("a4", "inv-4");
    pending.retain(new Set(["a4"]));
    expect(pending.agents).toEqual(["a4"]);
  });

  it("a simulated drain never drops below minimumHealthCapacity and ends with nothing on the drained agent (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.constantFrom(0, 0.5, 1), fc.constantFrom(0, 0.5, 1), fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }), (n, minHealth, overCap, coin) => {
        const app = makeApp({ instances: n, healthChecks: healthCheck, portDefinitions: [{ port: 0 }], upgradeStrategy: { minimumHealthCapacity: minHealth, maximumOverCapacity: overCap } });
        const agents = ["a1", "a2", "a3"];
        let instances: Instance[] = Array.from({ length: n }, (_, k) => makeInstance({ agentId: agents[k % 3]!, healthy: true }));
        const draining = new Set(["a1"]);
        const minHealthy = Math.ceil(n * minHealth - 1e-9);
        const pending = new PendingInverseOffers();
        pending.add("a1", "inv");
        let accepted = false;
        for (let step = 0; step < 40 && !accepted; step++) {
          const out = controlApp({ app, instances, now: step, drainingAgents: draining });
          for (const v of out.kill) v.goal = "stopped";
          // Replacements go to the agents that stay (placement never offers a draining agent).
          for (let k = 0; k < out.launch; k++) instances.push(makeInstance({ agentId: "a2", healthy: undefined, state: "TASK_STAGING" }));
          // The world moves on: some starts succeed, kills complete.
          instances = instances.flatMap((i) => {
            if (i.goal !== "running") return coin[step] ? [] : [i];
            if (i.state === "TASK_STAGING" && coin[(step + 1) % 40]) return [{ ...i, state: "TASK_RUNNING" as const, healthy: true }];
            return [i];
          });
          const healthy = instances.filter((i) => i.goal === "running" && countsAsHealthy(i, true)).length;
          expect(healthy).toBeGreaterThanOrEqual(Math.min(minHealthy, n));
          accepted = pending.takeReady(() => instances).length > 0;
        }
        // Give it quiet time to finish (every start and kill completes).
        for (let step = 0; step < 20 && !accepted; step++) {
          const out = controlApp({ app, instances, now: 100 + step, drainingAgents: draining });
          for (const v of out.kill) v.goal = "stopped";
          for (let k = 0; k < out.launch; k++) instances.push(makeInstance({ agentId: "a2", healthy: true }));
          instances = instances.filter((i) => i.goal === "running" && isActive(i));
          accepted = pending.takeReady(() => instances).length > 0;
        }
        expect(accepted).toBe(true);
        expect(instances.filter((i) => i.agentId === "a1" && i.goal === "running")).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
