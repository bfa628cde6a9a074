import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DEFAULT_BACKOFF, nextRestart } from "./backoff.js";

describe("nextRestart", () => {
  it("doubles from 0.5 s up to 30 s on quick crashes", () => {
    let failures = 0;
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      const d = nextRestart(failures, 1_000);
      delays.push(d.delayMs);
      failures = d.failures;
    }
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it("starts over after a healthy minute", () => {
    expect(nextRestart(6, 59_999)).toEqual({ delayMs: 30_000, failures: 7 });
    expect(nextRestart(6, 60_000)).toEqual({ delayMs: 500, failures: 1 });
  });

  it("stays within [initial, max] (property)", () => {
    fc.assert(
      fc.property(fc.nat(10_000), fc.nat(10_000_000), (failures, upFor) => {
        const { delayMs } = nextRestart(failures, upFor);
        expect(delayMs).toBeGreaterThanOrEqual(DEFAULT_BACKOFF.initialMs);
        expect(delayMs).toBeLessThanOrEqual(DEFAULT_BACKOFF.maxMs);
      }),
    );
  });
});
