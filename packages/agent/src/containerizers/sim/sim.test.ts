import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runContainerizerContract, type Scenario } from "../contract/containerizer.contract.js";
import type { LaunchSpec } from "../types.js";
import { SimContainerizer } from "./index.js";

/** Each contract scenario as a sim script (labels), since the sim runs no shell. */
const SCRIPTS: Record<Scenario, Record<string, string>> = {
  echo: { CARAVEL_SIM_RUN_MS: "0" },
  fail: { CARAVEL_SIM_RUN_MS: "0", CARAVEL_SIM_EXIT_CODE: "3" },
  trapExit: { CARAVEL_SIM_TERM_EXIT_CODE: "7" },
  trapIgnore: { CARAVEL_SIM_IGNORE_TERM: "true" },
  env: { CARAVEL_SIM_RUN_MS: "10" },
  longRunning: {},
  waitForGo: { CARAVEL_SIM_EXIT_ON_FILE: "go", CARAVEL_SIM_EXIT_CODE: "5" },
  execOk: {},
  execFail: {},
};

function adapt(scenario: Scenario, spec: LaunchSpec): LaunchSpec {
  const labels = Object.entries(SCRIPTS[scenario]).map(([key, value]) => ({ key, value }));
  return { ...spec, task: { ...spec.task, labels: { labels } } };
}

const root = mkdtempSync(join(tmpdir(), "caravel-sim-"));
runContainerizerContract("sim", () => new SimContainerizer({ stateDir: join(root, "sim-state"), pollMs: 50 }), {
  workDir: join(root, "sandboxes"),
  adapt,
  writesOutput: false,
  commands: { execOk: "echo in-sandbox-bar; exit 0", execFail: "exit 4" },
});
