import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { FakeClock } from "./clock.js";

describe("FakeClock", () => {
  it("fires timers in due order while advancing", () => {
    const clock = new FakeClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 200);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 100);
    clock.advance(150);
    expect(fired).toEqual(["a@1100"]);
    expect(clock.now()).toBe(1150);
    clock.advance(50);
    expect(fired).toEqual(["a@1100", "b@1200"]);
    expect(clock.pending).toBe(0);
  });

  it("cancels timers and repeats intervals", () => {
    const clock = new FakeClock();
    let ticks = 0;
    const id = clock.setTimeout(() => ticks--, 10);
    clock.clearTimeout(id);
    const every = clock.setInterval(() => ticks++, 10);
    clock.advance(35);
    expect(ticks).toBe(3);
    clock.clearInterval(every);
    clock.advance(100);
    expect(ticks).toBe(3);
  });

  it("lets a timer schedule another inside the same advance", () => {
    const clock = new FakeClock();
    const at: number[] = [];
    clock.setTimeout(() => {
      at.push(clock.now());
      clock.setTimeout(() => at.push(clock.now()), 5);
    }, 5);
    clock.advance(10);
    expect(at).toEqual([5, 10]);
  });

  it("runAll drains one-shot timers", () => {
    const clock = new FakeClock();
    let done = false;
    clock.setTimeout(() => clock.setTimeout(() => (done = true), 1000), 1000);
    clock.runAll();
    expect(done).toBe(true);
    expect(clock.now()).toBe(2000);
  });

  it("fires every timer exactly once, never early (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(1000), { maxLength: 30 }), fc.array(fc.nat(300), { minLength: 1, maxLength: 10 }), (delays, steps) => {
        const clock = new FakeClock();
        const firedAt = new Map<number, number>();
        delays.forEach((d, i) => clock.setTimeout(() => firedAt.set(i, clock.now()), d));
        for (const s of steps) clock.advance(s);
        const now = clock.now();
        delays.forEach((d, i) => {
          if (d <= now) expect(firedAt.get(i)).toBe(d);
          else expect(firedAt.has(i)).toBe(false);
        });
      }),
    );
  });
});
