/**
 * Runs a task's health check on its schedule: first after `delay_seconds`, then every
 * `interval_seconds`, never two attempts at once. Each result goes through `healthStep`; the agent
 * hears about reports and kills through callbacks.
 */
import type { HealthCheck } from "@caravel/api";
import { healthStep, initialHealth, type HealthState } from "./policy.js";
import { probe, type ProbeTarget } from "./probe.js";

export interface HealthCallbacks {
  report(healthy: boolean, message?: string): void;
  kill(message: string): void;
}

export class HealthChecker {
  private state: HealthState = initialHealth();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(
    private readonly check: HealthCheck,
    private readonly target: ProbeTarget,
    private readonly startedAt: number,
    private readonly callbacks: HealthCallbacks,
  ) {}

  start(): void {
    this.schedule(this.check.delay_seconds * 1000);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.attempt(), ms);
    this.timer.unref?.();
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    const result = await probe(this.check, this.target);
    if (this.stopped) return;
    const step = healthStep(this.check, this.state, result.ok, Date.now() - this.startedAt);
    this.state = step.state;
    if (step.report !== undefined) this.callbacks.report(step.report, result.message);
    if (step.kill) {
      this.stop();
      this.callbacks.kill(`health check failed ${this.state.consecutiveFailures} times in a row: ${result.message ?? ""}`.trim());
      return;
    }
    this.schedule(this.check.interval_seconds * 1000);
  }
}
