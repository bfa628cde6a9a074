#!/usr/bin/env node
/**
 * caravel-agent: parses its config, detects resources, recovers from its checkpoint, registers with
 * the master and serves its HTTP API. `--containerizers=sim --simulate N` runs N simulated agents.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { setDefaultAuthorization } from "@caravel/api";
import { backendAuthFromFlags } from "@caravel/auth";
import { ConfigError, MetricsRegistry, createLogger, helpText, loadConfig, onShutdown } from "@caravel/runtime";
import { AgentConfig } from "./config.js";
import { buildAgents } from "./core/build.js";
import { startGc } from "./core/gc-runner.js";
import { DockerContainerizer } from "./containerizers/docker/index.js";
import { ImageCollector, startImageGc } from "./containerizers/docker/image-gc-runner.js";
import { parseKeepList } from "./containerizers/docker/image-gc.js";
import { raiseOpenFileLimit } from "./core/limits.js";
import { registerAgentMetrics } from "./core/metrics.js";
import { createServer } from "./http/server.js";

async function main(): Promise<void> {
  if (process.argv.includes("--help")) {
    console.log(helpText("caravel-agent", "Caravel agent: runs tasks in containers and reports to the master (Mesos agent flags).", AgentConfig));
    return;
  }
  let config;
  try {
    config = loadConfig(AgentConfig);
    // A service account (multi-machine clusters): every call to the master carries its IAM token.
    setDefaultAuthorization((await backendAuthFromFlags(config)).authorization);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  mkdirSync(config.work_dir, { recursive: true });
  const logFile = config.log_dir ? join(config.log_dir, "caravel-agent.log") : undefined;
  if (config.log_dir) mkdirSync(config.log_dir, { recursive: true });
  const log = createLogger("caravel-agent", { level: config.log_level, ...(logFile ? { destination: logFile } : {}) });
  if (config.simulate > 1) {
    const limit = raiseOpenFileLimit(config.simulate * 3 + 1024);
    if (limit.advice) log.warn(limit.advice);
    else log.info({ nofile: limit.soft }, "open-file limit");
  }
  const metrics = new MetricsRegistry();
  // The HTTP server comes first so that the agent can report its real port (0 = any free port).
  const deps = { agents: [] as Awaited<ReturnType<typeof buildAgents>>["agents"], log, metrics, flags: { ...config, ...(config.service_account_key ? { service_account_key: "(set)" } : {}) } as Record<string, unknown>, ...(logFile ? { logFile, logDir: config.log_dir! } : {}) };
  const server = createServer(deps);
  const listening = await server.listen(config.port, config.ip);
  let built;
  try {
    built = await buildAgents(config, log, listening.port);
  } catch (error) {
    log.error({ err: error }, "cannot start");
    console.error(`caravel-agent: ${(error as Error).message}`);
    await server.close();
    process.exit(2);
  }
  deps.agents.push(...built.agents);
  registerAgentMetrics(metrics, () => built.agents.map((a) => a.metrics), Date.now() / 1000);
  const stopGc: Array<() => void> = [];
  for (const [i, agent] of built.agents.entries()) {
    await agent.recover();
    // Stagger large simulations so that thousands of SUBSCRIBEs do not land in the same millisecond.
    if (built.agents.length > 1 && i % 100 === 99) await new Promise((r) => setTimeout(r, 50));
    agent.start();
    if (!agent.settings.lightweight) {
      stopGc.push(startGc(agent, { keepPerApp: config.gc_keep_per_app, maxAgeMs: config.gc_delay * 1000, diskBudgetBytes: config.gc_disk_budget_mb * 1024 * 1024 }, config.gc_interval * 1000, log));
    }
  }
  const docker = built.containerizers.find((c): c is DockerContainerizer => c instanceof DockerContainerizer);
  if (docker && config.docker_image_gc_budget > 0) {
    const collector = new ImageCollector({
      docker: docker.docker,
      policy: { budgetBytes: config.docker_image_gc_budget * 1024 * 1024, keep: parseKeepList(config.docker_image_gc_keep) },
      launching: () => docker.imagesLaunching(),
      launched: () => docker.imagesLaunched,
      statePath: join(config.work_dir, "meta", "docker-image-use.json"),
      log: log.child({ gc: "docker-images" }),
    });
    stopGc.push(startImageGc(collector, config.gc_interval * 1000, log));
  }
  log.info({ url: listening.url, agents: built.agents.length, containerizers: built.containerizers.map((c) => c.name) }, "caravel-agent listening");
  onShutdown(async () => {
    stopGc.forEach((s) => s());
    if (config.cleanup_on_exit) await Promise.all(built.agents.map((a) => a.killAllTasks()));
    await Promise.all(built.agents.map((a) => a.close()));
    await Promise.all(built.containerizers.map((c) => c.close()));
    await built.close();
    await server.close();
  }, log);
}

main().catch((error: unknown) => {
  console.error(`caravel-agent: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
