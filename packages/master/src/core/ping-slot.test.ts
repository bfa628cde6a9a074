import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { pingSlot } from "./agents.js";

describe("pingSlot", () => {
  it("is stable and within [0, slices)", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 64 }), (id, slices) => {
        const slot = pingSlot(id, slices);
        expect(slot).toBe(pingSlot(id, slices));
        expect(slot >= 0 && slot < slices).toBe(true);
      }),
    );
  });

  it("spreads agent ids over the slots", () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 1600; i++) counts[pingSlot(`c0041c2c-8147-41c2-acc8-5eda225db6e3-S${i}`, 16)]! += 1;
    for (const count of counts) expect(count).toBeGreaterThan(50);
  });
});
