#!/usr/bin/env node
/**
 * caravel-admin-router: parse flags, open the Store, start the router, print the first admin's
 * password once. With --workers N, a primary prepares the shared state (first admin, TLS files)
 * and forks N router processes that share the port.
 */
import cluster from "node:cluster";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createStore } from "@caravel/coordination";
import { ConfigError, createLogger, helpText, loadConfig, onShutdown, type Logger } from "@caravel/runtime";
import { RouterConfig } from "./config.js";
import { startBootstrapImport } from "./iam/bootstrap.js";
import { IamService } from "./iam/service.js";
import { followZkMasters } from "./routing/zk-leader.js";
import { createServer } from "./server.js";
import { createDirStore } from "./store/store.js";
import { loadOrCreateTls } from "./tls.js";

const WORKER_ENV = "CARAVEL_ADMIN_ROUTER_WORKER";

async function main(): Promise<void> {
  if (process.argv.includes("--help")) {
    console.log(helpText("caravel-admin-router", "The single door to a Caravel cluster: login, IAM, routing, audit.", RouterConfig));
    return;
  }
  const config = loadConfig(RouterConfig);
  const log = createLogger("admin-router", { level: config.log_level });
  await mkdir(config.work_dir, { recursive: true, mode: 0o700 });
  // The embedded store is one file per node, so that --workers processes can share it; the
  // coordination file store locks its directory to one process. ZooKeeper is shared by design.
  const store = config.zk ? await createStore(config.zk) : await createDirStore(join(config.work_dir, "store"));
  const onAdminCreated = async (uid: string, password: string, generated: boolean) => {
    // Written for caravel-launch to show; readable by root only.
    await writeFile(join(config.work_dir, "admin-password"), password + "\n", { mode: 0o600 });
    if (generated) process.stdout.write(`\nFirst administrator created: uid "${uid}", password "${password}" (also in ${join(config.work_dir, "admin-password")}). It is shown only once.\n\n`);
  };
  const tlsOptions = { ...(config.tls_cert ? { cert: config.tls_cert } : {}), ...(config.tls_key ? { key: config.tls_key } : {}), workDir: config.work_dir, hostname: config.ip };

  if (config.workers > 1 && cluster.isPrimary) {
    await IamService.open({ store, log, ...(config.admin_password ? { adminPassword: config.admin_password } : {}), onAdminCreated });
    if (config.tls) await loadOrCreateTls(tlsOptions);
    return supervise(config.workers, log);
  }
  const worker = process.env[WORKER_ENV] === undefined ? undefined : Number(process.env[WORKER_ENV]);
  const tls = config.tls ? await loadOrCreateTls(tlsOptions) : undefined;
  const masterLeader = config.master.startsWith("zk://") ? await followZkMasters(config.master) : undefined;
  const router = await createServer({ config, store, log, ...(tls ? { tls } : {}), onAdminCreated, ...(worker === undefined ? {} : { worker }), ...(masterLeader ? { masterLeader } : {}) });
  // Accounts published by the machines' launchers (one importer per node: worker 0 or the only process).
  const stopImport = config.bootstrap_service_accounts && !worker ? await startBootstrapImport({ store, iam: router.iam, log }) : undefined;
  const { url } = await router.listen();
  log.info({ url, worker }, "admin router listening");
  onShutdown(async () => {
    stopImport?.();
    await router.close();
  }, log);
}

/** Forks the router processes and restarts any that die, until SIGTERM. */
function supervise(count: number, log: Logger): void {
  let stopping = false;
  const fork = (id: number) => cluster.fork({ [WORKER_ENV]: String(id) }).on("exit", (code, signal) => {
    if (stopping) return;
    log.error({ worker: id, code, signal }, "router process died; starting it again");
    setTimeout(() => fork(id), 500);
  });
  for (let i = 0; i < count; i++) fork(i);
  onShutdown(async () => {
    stopping = true;
    const workers = Object.values(cluster.workers ?? {});
    await Promise.all(workers.map((w) => new Promise<void>((resolve) => (w ? (w.once("exit", () => resolve()), w.kill("SIGTERM")) : resolve()))));
  }, log);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`caravel-admin-router: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`caravel-admin-router: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
