import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { healthStep, initialHealth, type HealthState } from "./policy.js";

const check = { consecutive_failures: 3, grace_period_seconds: 10 };

describe("health check policy", () => {
  it("ignores failures in the grace period until the first success", () => {
    const s = healthStep(check, initialHealth(), false, 5_000);
    expect(s.report).toBeUndefined();
    expect(s.kill).toBe(false);
    expect(s.state.consecutiveFailures).toBe(0);
  });

  it("reports healthy on transitions only and every unhealthy result", () => {
    let st: HealthState = initialHealth();
    const r1 = healthStep(check, st, true, 0);
    expect(r1.report).toBe(true);
    st = r1.state;
    expect(healthStep(check, st, true, 1000).report).toBeUndefined();
    const f1 = healthStep(check, st, false, 2000); // after a success, grace no longer shields
    expect(f1.report).toBe(false);
    const f2 = healthStep(check, f1.state, false, 3000);
    expect(f2.report).toBe(false);
    expect(f2.kill).toBe(false);
    const f3 = healthStep(check, f2.state, false, 4000);
    expect(f3.kill).toBe(true);
    expect(healthStep(check, f2.state, true, 4000).report).toBe(true);
  });

  it("kills after consecutive failures outside the grace period", () => {
    let st = initialHealth();
    let killed = false;
    for (let i = 0; i < 3; i++) {
      const step = healthStep(check, st, false, 20_000);
      st = step.state;
      killed = step.kill;
    }
    expect(killed).toBe(true);
  });

  it("never kills before `consecutive_failures` failures (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 50 }), fc.integer({ min: 1, max: 5 }), (results, limit) => {
        let st = initialHealth();
        let run = 0;
        for (const ok of results) {
          const step = healthStep({ consecutive_failures: limit, grace_period_seconds: 0 }, st, ok, 1000);
          run = ok ? 0 : run + 1;
          if (step.kill !== run >= limit) return false;
          if (step.kill) return true;
          st = step.state;
        }
        return true;
      }),
    );
  });
});
