/**
 * A tiny metrics registry: counters, gauges and timers, rendered both as Prometheus text (`/metrics`)
 * and as Mesos' flat `/metrics/snapshot` object. Names use Mesos' slash form ("master/tasks_running");
 * Prometheus names are derived by replacing non-word characters with underscores.
 */

type Sample = { kind: "counter" | "gauge"; help: string; value: () => number };

export class MetricsRegistry {
  private readonly samples = new Map<string, Sample>();
  private readonly timers = new Map<string, number[]>();

  counter(name: string, help = ""): { inc(by?: number): void; readonly value: number } {
    let value = 0;
    this.samples.set(name, { kind: "counter", help, value: () => value });
    return {
      inc: (by = 1) => {
        value += by;
      },
      get value() {
        return value;
      },
    };
  }

  /** A gauge read lazily from a function when metrics are scraped. */
  gauge(name: string, read: () => number, help = ""): void {
    this.samples.set(name, { kind: "gauge", help, value: read });
  }

  /** Records a duration in ms; exposes count, min, max, p50, p90, p99 under `name/…` (keeps the last 1000). */
  observe(name: string, ms: number): void {
    const values = this.timers.get(name) ?? [];
    values.push(ms);
    if (values.length > 1000) values.shift();
    this.timers.set(name, values);
  }

  /** Mesos' flat snapshot: `{ "master/elected": 1, ... }`. */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, sample] of this.samples) out[name] = sample.value();
    for (const [name, values] of this.timers) {
      const sorted = [...values].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
      out[name] = sorted.at(-1) ?? 0;
      out[`${name}/count`] = sorted.length;
      out[`${name}/min`] = sorted[0] ?? 0;
      out[`${name}/max`] = sorted.at(-1) ?? 0;
      out[`${name}/p50`] = at(0.5);
      out[`${name}/p90`] = at(0.9);
      out[`${name}/p99`] = at(0.99);
    }
    return out;
  }

  /** Prometheus text exposition format. */
  prometheus(prefix = "caravel"): string {
    const lines: string[] = [];
    for (const [name, value] of Object.entries(this.snapshot())) {
      const metric = `${prefix}_${name.replace(/[^a-zA-Z0-9_]/g, "_")}`;
      const kind = this.samples.get(name)?.kind ?? "gauge";
      lines.push(`# TYPE ${metric} ${kind}`, `${metric} ${Number.isFinite(value) ? value : 0}`);
    }
    return lines.join("\n") + "\n";
  }
}
