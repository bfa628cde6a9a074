#!/usr/bin/env node
/** caravel-master: a Mesos-compatible master. */
import { setDefaultAuthorization } from "@caravel/api";
import { BackendAuthFlags, backendAuthFromFlags } from "@caravel/auth";
import { runProcess, setListenGuard } from "@caravel/runtime";
import { MasterConfig } from "./config.js";
import { createElector } from "./ha.js";
import { createMaster } from "./server.js";
import { openRegistryStore } from "./store.js";

await runProcess(
  { name: "caravel-master", summary: "A Mesos-compatible master: agents, frameworks, offers, DRF allocation, state API.", schema: MasterConfig.extend(BackendAuthFlags.shape) },
  async (config, log) => {
    // IAM: callers beyond loopback need a token (--iam_url/--iam_public_key); own calls carry the service account's.
    const auth = await backendAuthFromFlags(config);
    setListenGuard(auth.guard);
    setDefaultAuthorization(auth.authorization);
    const store = await openRegistryStore(config);
    const elector = config.zk ? await createElector(store.store, log, () => process.exit(1)) : undefined;
    // /master/flags lists every flag: never the service account's private key (it may be the PEM itself).
    const shown = { ...config, service_account_key: config.service_account_key === undefined ? undefined : "(set)" };
    const master = await createMaster({ config: shown, log, store, leadership: elector?.leadership });
    await master.listen();
    // Campaigning runs in the background: a follower serves redirects until it is elected.
    void elector?.run(master).catch((error: unknown) => {
      log.fatal({ err: error }, "election failed");
      process.exit(1);
    });
    return async () => {
      await elector?.close();
      await master.close();
      await store.close();
    };
  },
);
