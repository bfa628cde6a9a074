#!/usr/bin/env node
/** caravel-marathon: the Marathon-compatible init service, a framework of the Caravel master. */
import { createStore } from "@caravel/coordination";
import { runProcess } from "@caravel/runtime";
import { MarathonConfig } from "./config.js";
import { createServer } from "./server.js";

await runProcess(
  { name: "caravel-marathon", summary: "Marathon-compatible init service: keeps long-running apps running on a Caravel (Mesos) cluster.", schema: MarathonConfig },
  async (config, log) => {
    const store = await createStore(config.zk ?? config.work_dir);
    const server = createServer({ config, store, log });
    await server.listen();
    return () => server.close();
  },
);
