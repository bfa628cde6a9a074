/**
 * A manual clock for pure-logic tests: time moves only when the test says so, and timers scheduled
 * on it fire in due order during `advance`.
 */

interface Timer {
  id: number;
  at: number;
  fn: () => void;
  every?: number;
}

export class FakeClock {
  private current: number;
  private nextId = 1;
  private timers: Timer[] = [];

  constructor(start = 0) {
    this.current = start;
  }

  /** The current time in milliseconds. */
  now = (): number => this.current;

  /** Schedules `fn` after `ms`; returns an id for `clearTimeout`. */
  setTimeout = (fn: () => void, ms = 0): number => this.add(fn, ms);

  /** Schedules `fn` every `ms` (at least 1 ms, so `advance` always terminates). */
  setInterval = (fn: () => void, ms: number): number => this.add(fn, Math.max(1, ms), Math.max(1, ms));

  clearTimeout = (id: number): void => {
    this.timers = this.timers.filter((t) => t.id !== id);
  };

  clearInterval = (id: number): void => this.clearTimeout(id);

  /** How many timers are waiting. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in time order. */
  advance(ms: number): void {
    if (ms < 0) throw new Error(`FakeClock.advance: ms must be >= 0, got ${ms}`);
    const target = this.current + ms;
    for (;;) {
      const next = this.earliest();
      if (!next || next.at > target) break;
      this.current = next.at;
      if (next.every !== undefined) next.at += next.every;
      else this.clearTimeout(next.id);
      next.fn();
    }
    this.current = target;
  }

  /** Fires timers until none is left (intervals excluded), moving time to the last one. */
  runAll(limit = 10_000): void {
    for (let i = 0; i < limit; i++) {
      const next = this.timers.filter((t) => t.every === undefined).sort(byDue)[0];
      if (!next) return;
      this.advance(next.at - this.current);
    }
    throw new Error(`FakeClock.runAll: still timers after ${limit} rounds (a timer keeps re-scheduling itself?)`);
  }

  private add(fn: () => void, ms: number, every?: number): number {
    const id = this.nextId++;
    this.timers.push({ id, at: this.current + Math.max(0, ms), fn, every });
    return id;
  }

  private earliest(): Timer | undefined {
    return [...this.timers].sort(byDue)[0];
  }
}

const byDue = (a: Timer, b: Timer): number => a.at - b.at || a.id - b.id;
