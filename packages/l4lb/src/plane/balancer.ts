/**
 * Backend choice for the userspace proxy (pure apart from the clock it is given): round-robin or
 * least-connections over backends with weight > 0 that are not serving an error penalty.
 */
import type { VipBackend } from "@caravel/api";

export type Balance = "round_robin" | "least_connections";

export interface BackendState {
  readonly backend: VipBackend;
  active: number;
  /** Until when (ms since epoch) the backend gets no new connections after a failed connect. */
  penaltyUntil: number;
}

export class BackendPool {
  private states = new Map<string, BackendState>();
  private next = 0;

  constructor(private readonly balance: Balance) {}

  static key(b: { ip: string; port: number }): string {
    return `${b.ip}:${b.port}`;
  }

  /** Replaces the backend list, keeping connection counts and penalties of those that stay. */
  set(backends: readonly VipBackend[]): void {
    const states = new Map<string, BackendState>();
    for (const backend of backends) {
      const old = this.states.get(BackendPool.key(backend));
      states.set(BackendPool.key(backend), { backend, active: old?.active ?? 0, penaltyUntil: old?.penaltyUntil ?? 0 });
    }
    this.states = states;
  }

  has(key: string): boolean {
    const s = this.states.get(key);
    return !!s && s.backend.weight > 0;
  }

  /** The next backend for a new connection, skipping `exclude` (already tried); undefined if none is fit. */
  pick(now: number, exclude: ReadonlySet<string> = new Set()): BackendState | undefined {
    const all = [...this.states.values()].filter((s) => s.backend.weight > 0 && !exclude.has(BackendPool.key(s.backend)));
    const fit = all.filter((s) => s.penaltyUntil <= now);
    const candidates = fit.length ? fit : all; // when every backend is penalised, still try one
    if (!candidates.length) return undefined;
    if (this.balance === "least_connections") {
      const least = Math.min(...candidates.map((s) => s.active));
      const tied = candidates.filter((s) => s.active === least);
      return tied[this.next++ % tied.length];
    }
    return candidates[this.next++ % candidates.length];
  }

  penalise(key: string, until: number): void {
    const s = this.states.get(key);
    if (s) s.penaltyUntil = until;
  }

  state(key: string): BackendState | undefined {
    return this.states.get(key);
  }
}
