#!/usr/bin/env node
/** caravel-universe: the Cosmos-compatible package API over Universe-format repositories. */
import { createStore } from "@caravel/coordination";
import { runProcess } from "@caravel/runtime";
import { DEFAULT_REPOSITORIES, UniverseConfig } from "./config.js";
import { createServer } from "./http/server.js";

await runProcess(
  { name: "caravel-universe", summary: "Cosmos-compatible package API: search, describe, render, install and uninstall Universe packages.", schema: UniverseConfig },
  async (config, log) => {
    const store = await createStore(config.zk ?? config.work_dir);
    const server = createServer({ config, store, log, defaults: DEFAULT_REPOSITORIES });
    await server.listen();
    return () => server.close();
  },
);
