import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { makeApp } from "../test-helpers.js";
import { refuseSecondsFor } from "./marathon.js";

describe("refusal of unused offers", () => {
  it("is 5 s, or until the soonest launch backoff ends", () => {
    const app = makeApp();
    expect(refuseSecondsFor([{ app, count: 1 }], 1000)).toBe(5);
    expect(refuseSecondsFor([{ app, count: 1, delayUntil: 900 }], 1000)).toBe(5);
    expect(refuseSecondsFor([{ app, count: 1, delayUntil: 2000 }, { app, count: 1, delayUntil: 1400 }], 1000)).toBeCloseTo(0.4);
  });

  it("stays within 0.05–5 s (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.integer({ min: 0, max: 100_000 }), { nil: undefined })), fc.integer({ min: 0, max: 100_000 }), (delays, now) => {
        const s = refuseSecondsFor(delays.map((d) => ({ app: makeApp(), count: 1, ...(d !== undefined ? { delayUntil: d } : {}) })), now);
        return s >= 0.05 && s <= 5;
      }),
      { numRuns: 50 },
    );
  });
});
