/** Shared by every benchmark: the machine line and one row appended to BENCHMARKS.md. */
import { appendFileSync, existsSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..");
const HEADER = "# Benchmarks\n\n| date | benchmark | settings | Caravel | peer | ratio / goal | machine |\n|---|---|---|---|---|---|---|\n";

/** "2 cores (model), 24 GiB, Node v20, load 1.2": load matters on a shared 2-core box. */
export function machine(): string {
  const model = cpus()[0]?.model.trim() ?? "unknown CPU";
  return `${cpus().length} cores (${model}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load ${loadavg()[0]!.toFixed(2)}`;
}

export interface BenchRow {
  benchmark: string;
  settings: string;
  caravel: string;
  peer: string;
  ratio: string;
}

/** Prints the row and appends it to BENCHMARKS.md, unless NO_RECORD is set (exploratory and profiling runs). */
export function record(row: BenchRow): void {
  const date = new Date().toISOString().slice(0, 16).replace("T", " ");
  const line = `| ${date} | ${row.benchmark} | ${row.settings} | ${row.caravel} | ${row.peer} | ${row.ratio} | ${machine()} |`;
  console.log(line);
  if (process.env["NO_RECORD"]) return;
  const file = join(ROOT, "BENCHMARKS.md");
  if (!existsSync(file)) writeFileSync(file, HEADER);
  appendFileSync(file, line + "\n");
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

export const percentile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
};
