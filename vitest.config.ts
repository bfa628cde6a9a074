import { defineConfig } from "vitest/config";

// Multi-host scenarios share network-namespace names, a bridge and iptables rules: they run one file
// at a time, in a second pass (CARAVEL_TESTS=serial, see scripts/run-tests.mjs), after everything else.
const SERIAL = ["e2e/ha/**/*.test.ts"];
const serial = process.env["CARAVEL_TESTS"] === "serial";

// One runner for unit, integration and e2e tests. Workspace packages resolve to their
// TypeScript sources through the "source" export condition, so tests never see a stale dist/.
export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"], externalConditions: ["source"] } },
  test: {
    include: serial ? SERIAL : ["packages/*/src/**/*.test.ts", "apps/*/src/**/*.test.ts", "e2e/**/*.test.ts"],
    exclude: serial ? [] : [...SERIAL, "**/node_modules/**"],
    fileParallelism: !serial,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    setupFiles: ["packages/testing/src/vitest-setup.ts"],
    pool: "forks",
    maxWorkers: serial ? 1 : 2,
  },
});
