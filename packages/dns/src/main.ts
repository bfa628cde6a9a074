#!/usr/bin/env node
/** caravel-dns: Mesos-DNS-compatible names and dcos-net zones, kept current from the master's events. */
import { ConfigError, createLogger, helpText, loadConfig, onShutdown } from "@caravel/runtime";
import { DnsConfig } from "./config.js";
import { createServer } from "./server.js";

if (process.argv.includes("--help")) {
  console.log(helpText("caravel-dns", "Mesos-DNS-compatible DNS server (UDP+TCP) with the Mesos-DNS HTTP API.", DnsConfig));
  process.exit(0);
}
try {
  const config = loadConfig(DnsConfig);
  const log = createLogger("caravel-dns", { level: config.log_level });
  const server = createServer({ config, log });
  await server.listen();
  onShutdown(() => server.close(), log);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`caravel-dns: ${error.message}`);
    process.exit(2);
  }
  console.error(`caravel-dns: ${(error as Error).message}`);
  process.exit(1);
}
