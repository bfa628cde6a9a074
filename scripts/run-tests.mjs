#!/usr/bin/env node
// Runs every test with vitest and ends with the summary line CI reads: "N passed, N failed".
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, existsSync } from "node:fs";

mkdirSync(".test-output", { recursive: true });
const out = ".test-output/results.json";
const run = spawnSync(
  "pnpm",
  ["exec", "vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${out}`, ...process.argv.slice(2)],
  { stdio: "inherit" },
);

let passed = 0;
let failed = 0;
if (existsSync(out)) {
  const results = JSON.parse(readFileSync(out, "utf8"));
  passed = results.numPassedTests ?? 0;
  failed = (results.numFailedTests ?? 0) + (results.numRuntimeErrorTestSuites ?? 0);
  // A suite that failed to load counts as a failure even if it declared no tests.
  for (const suite of results.testResults ?? []) if (suite.status === "failed" && (suite.assertionResults ?? []).length === 0) failed++;
} else {
  failed = 1;
}
const code = run.status ?? 1;
if (code !== 0 && failed === 0) failed = 1;
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(code);
