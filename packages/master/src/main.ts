#!/usr/bin/env node
/** caravel-master: a Mesos-compatible master. */
import { createLogger, helpText, loadConfig, onShutdown, ConfigError } from "@caravel/runtime";
import { MasterConfig } from "./config.js";
import { createElector } from "./ha.js";
import { createMaster } from "./server.js";
import { openRegistryStore } from "./store.js";

async function main(): Promise<void> {
  if (process.argv.includes("--help")) {
    console.log(helpText("caravel-master", "A Mesos-compatible master: agents, frameworks, offers, DRF allocation, state API.", MasterConfig));
    return;
  }
  const config = loadConfig(MasterConfig);
  const log = createLogger("caravel-master", { level: config.log_level });
  const store = await openRegistryStore(config);
  const elector = config.zk ? await createElector(store.store, log, () => process.exit(1)) : undefined;
  const master = await createMaster({ config, log, store, leadership: elector?.leadership });
  await master.listen();
  onShutdown(async () => {
    await elector?.close();
    await master.close();
    await store.close();
  }, log);
  await elector?.run(master);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(`caravel-master: ${error.message}`);
  else console.error(error);
  process.exit(1);
});
