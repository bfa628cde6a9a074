#!/usr/bin/env node
/** caravel-marathon: the Marathon-compatible init service, a framework of the Caravel master. */
import { createStore } from "@caravel/coordination";
import { ConfigError, createLogger, helpText, loadConfig, onShutdown } from "@caravel/runtime";
import { MarathonConfig } from "./config.js";
import { createServer } from "./server.js";

if (process.argv.includes("--help")) {
  console.log(helpText("caravel-marathon", "Marathon-compatible init service: keeps long-running apps running on a Caravel (Mesos) cluster.", MarathonConfig));
  process.exit(0);
}

try {
  const config = loadConfig(MarathonConfig);
  const log = createLogger("caravel-marathon", { level: config.log_level });
  const store = await createStore(config.zk ?? config.work_dir);
  const server = createServer({ config, store, log });
  await server.listen();
  onShutdown(() => server.close(), log);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`caravel-marathon: ${error.message}`);
    process.exit(2);
  }
  console.error("caravel-marathon failed to start:", error);
  process.exit(1);
}
