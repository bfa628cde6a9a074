#!/usr/bin/env node
// Runs every test with vitest in two passes — everything that may run in parallel, then the
// multi-host scenarios one file at a time — and ends with the line CI reads: "N passed, N failed".
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";

mkdirSync(".test-output", { recursive: true });
let passed = 0;
let failed = 0;
let status = 0;
for (const pass of ["parallel", "serial"]) {
  const out = `.test-output/results-${pass}.json`;
  rmSync(out, { force: true });
  console.log(`\n=== tests: ${pass} pass ===`);
  const run = spawnSync(
    "pnpm",
    ["exec", "vitest", "run", "--passWithNoTests", "--reporter=default", "--reporter=json", `--outputFile.json=${out}`, ...process.argv.slice(2)],
    { stdio: "inherit", env: { ...process.env, CARAVEL_TESTS: pass } },
  );
  const code = run.status ?? 1;
  let passFailed = 0;
  if (existsSync(out)) {
    const results = JSON.parse(readFileSync(out, "utf8"));
    passed += results.numPassedTests ?? 0;
    passFailed = (results.numFailedTests ?? 0) + (results.numRuntimeErrorTestSuites ?? 0);
    // A file that failed to load counts as a failure even if it declared no tests.
    for (const suite of results.testResults ?? []) if (suite.status === "failed" && (suite.assertionResults ?? []).length === 0) passFailed++;
  }
  if (code !== 0 && passFailed === 0) passFailed = 1;
  failed += passFailed;
  if (code !== 0) status = code;
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(status);
