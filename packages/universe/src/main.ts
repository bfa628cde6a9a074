#!/usr/bin/env node
/** caravel-universe: the Cosmos-compatible package API over Universe-format repositories. */
import { createStore } from "@caravel/coordination";
import { setDefaultAuthorization } from "@caravel/api";
import { BackendAuthFlags, backendAuthFromFlags } from "@caravel/auth";
import { runProcess, setListenGuard } from "@caravel/runtime";
import { DEFAULT_REPOSITORIES, UniverseConfig } from "./config.js";
import { createServer } from "./http/server.js";

await runProcess(
  { name: "caravel-universe", summary: "Cosmos-compatible package API: search, describe, render, install and uninstall Universe packages.", schema: UniverseConfig.extend(BackendAuthFlags.shape) },
  async (config, log) => {
    // IAM: callers beyond loopback need a token (--iam_url/--iam_public_key); own calls carry the service account's.
    const auth = await backendAuthFromFlags(config);
    setListenGuard(auth.guard);
    setDefaultAuthorization(auth.authorization);
    const store = await createStore(config.zk ?? config.work_dir);
    const server = createServer({ config, store, log, defaults: DEFAULT_REPOSITORIES });
    await server.listen();
    return () => server.close();
  },
);
