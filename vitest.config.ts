import { defineConfig } from "vitest/config";

// One runner for unit, integration and e2e tests. Workspace packages resolve to their
// TypeScript sources through the "source" export condition, so tests never see a stale dist/.
export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"], externalConditions: ["source"] } },
  test: {
    include: ["packages/*/src/**/*.test.ts", "apps/*/src/**/*.test.ts", "e2e/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    setupFiles: ["packages/testing/src/vitest-setup.ts"],
    pool: "forks",
    maxWorkers: 2,
  },
});
