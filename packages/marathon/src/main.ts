#!/usr/bin/env node
/** caravel-marathon: the Marathon-compatible init service, a framework of the Caravel master. */
import { createStore } from "@caravel/coordination";
import { runProcess } from "@caravel/runtime";
import { MarathonConfig } from "./config.js";
import { createServer } from "./server.js";
import { soleLeadership, storeLeadership } from "./ha/leadership.js";

await runProcess(
  { name: "caravel-marathon", summary: "Marathon-compatible init service: keeps long-running apps running on a Caravel (Mesos) cluster.", schema: MarathonConfig },
  async (config, log) => {
    const store = await createStore(config.zk ?? config.work_dir);
    // With ZooKeeper several Marathons may run: they elect one leader; the others proxy to it.
    const leadership = store.kind === "zk" ? await storeLeadership(store, log) : soleLeadership();
    const onLeadershipLost = (reason: string) => {
      log.fatal({ reason }, "lost leadership; exiting so that a new leader takes over");
      process.exit(1);
    };
    const server = createServer({ config, store, log, leadership, onLeadershipLost });
    await server.listen();
    return () => server.close();
  },
);
