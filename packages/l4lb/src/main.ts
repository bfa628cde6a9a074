#!/usr/bin/env node
/** caravel-l4lb: layer-4 virtual IPs for tasks, through iptables NAT (root) or a userspace proxy. */
import { ConfigError, createLogger, helpText, loadConfig, onShutdown } from "@caravel/runtime";
import { L4lbConfig } from "./config.js";
import { createServer } from "./server.js";

if (process.argv.includes("--help")) {
  console.log(helpText("caravel-l4lb", "Layer-4 load balancer: named and IP VIPs from task port labels (one per host).", L4lbConfig));
  process.exit(0);
}
try {
  const config = loadConfig(L4lbConfig);
  const log = createLogger("caravel-l4lb", { level: config.log_level });
  const server = createServer({ config, log });
  await server.listen();
  onShutdown(() => server.close(), log);
} catch (error) {
  console.error(`caravel-l4lb: ${(error as Error).message}`);
  process.exit(error instanceof ConfigError ? 2 : 1);
}
