#!/usr/bin/env node
/** caravel-admin-router: parse flags, open the Store, start the router, print the first admin's password once. */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError, createLogger, helpText, loadConfig, onShutdown } from "@caravel/runtime";
import { RouterConfig } from "./config.js";
import { createServer } from "./server.js";
import { createDirStore } from "./store/store.js";
import { loadOrCreateTls } from "./tls.js";

async function main(): Promise<void> {
  if (process.argv.includes("--help")) {
    console.log(helpText("caravel-admin-router", "The single door to a Caravel cluster: login, IAM, routing, audit.", RouterConfig));
    return;
  }
  const config = loadConfig(RouterConfig);
  const log = createLogger("admin-router", { level: config.log_level });
  await mkdir(config.work_dir, { recursive: true, mode: 0o700 });
  const store = await createDirStore(join(config.work_dir, "store"));
  const tls = config.tls ? await loadOrCreateTls({ ...(config.tls_cert ? { cert: config.tls_cert } : {}), ...(config.tls_key ? { key: config.tls_key } : {}), workDir: config.work_dir, hostname: config.ip }) : undefined;
  const router = await createServer({
    config,
    store,
    log,
    ...(tls ? { tls } : {}),
    onAdminCreated: async (uid, password, generated) => {
      // Written for caravel-launch to show; readable by root only.
      await writeFile(join(config.work_dir, "admin-password"), password + "\n", { mode: 0o600 });
      if (generated) process.stdout.write(`\nFirst administrator created: uid "${uid}", password "${password}" (also in ${join(config.work_dir, "admin-password")}). It is shown only once.\n\n`);
    },
  });
  const { url } = await router.listen();
  log.info({ url }, "admin router listening");
  onShutdown(() => router.close(), log);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`caravel-admin-router: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`caravel-admin-router: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
