#!/usr/bin/env node
// Runs every benchmark in bench/ (or those named on the command line) one after another.
// Each prints its settings, Caravel's figure, the peer's and the ratio, and appends a row to BENCHMARKS.md.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";

const only = process.argv.slice(2);
const files = readdirSync("bench").filter((f) => f.endsWith(".bench.ts")).filter((f) => only.length === 0 || only.some((o) => f.includes(o))).sort();
let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file} ===`);
  const run = spawnSync(process.execPath, ["--conditions=source", "--import", "tsx", `bench/${file}`], { stdio: "inherit" });
  if (run.status !== 0) failed++;
}
console.log(`\n${files.length - failed} benchmarks ran, ${failed} failed`);
process.exit(failed ? 1 : 0);
