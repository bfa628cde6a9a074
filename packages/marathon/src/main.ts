#!/usr/bin/env node
/** caravel-marathon: the Marathon-compatible init service, a framework of the Caravel master. */
import { createStore } from "@caravel/coordination";
import { setDefaultAuthorization } from "@caravel/api";
import { BackendAuthFlags, backendAuthFromFlags } from "@caravel/auth";
import { runProcess, setListenGuard } from "@caravel/runtime";
import { MarathonConfig } from "./config.js";
import { createServer } from "./server.js";
import { soleLeadership, storeLeadership } from "./ha/leadership.js";

await runProcess(
  { name: "caravel-marathon", summary: "Marathon-compatible init service: keeps long-running apps running on a Caravel (Mesos) cluster.", schema: MarathonConfig.extend(BackendAuthFlags.shape) },
  async (config, log) => {
    // IAM: callers beyond loopback need a token (--iam_url/--iam_public_key); own calls carry the service account's.
    const auth = await backendAuthFromFlags(config);
    setListenGuard(auth.guard);
    setDefaultAuthorization(auth.authorization);
    const store = await createStore(config.zk ?? config.work_dir, { sessionTimeoutMs: config.zk_session_timeout });
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
