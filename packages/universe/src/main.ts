#!/usr/bin/env node
/** caravel-universe: the Cosmos-compatible package API over Universe-format repositories. */
import { createStore } from "@caravel/coordination";
import { ConfigError, createLogger, helpText, loadConfig, onShutdown } from "@caravel/runtime";
import { DEFAULT_REPOSITORIES, UniverseConfig } from "./config.js";
import { createServer } from "./http/server.js";

if (process.argv.includes("--help")) {
  console.log(helpText("caravel-universe", "Cosmos-compatible package API: search, describe, render, install and uninstall Universe packages.", UniverseConfig));
  process.exit(0);
}

try {
  const config = loadConfig(UniverseConfig);
  const log = createLogger("caravel-universe", { level: config.log_level });
  const store = await createStore(config.zk ?? config.work_dir);
  const server = createServer({ config, store, log, defaults: DEFAULT_REPOSITORIES });
  await server.listen();
  onShutdown(() => server.close(), log);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`caravel-universe: ${error.message}`);
    process.exit(2);
  }
  console.error("caravel-universe failed to start:", error);
  process.exit(1);
}
