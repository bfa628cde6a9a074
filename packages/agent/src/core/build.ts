/**
 * Builds the agents a caravel-agent process runs from its config: detects resources, picks the
 * containerizers (process always, Docker when an engine answers, or sim), finds the master (a list
 * or ZooKeeper), and makes one Agent — or
 * `--simulate N` lightweight simulated ones sharing one sim containerizer.
 */
import { hostname as osHostname } from "node:os";
import { join } from "node:path";
import { parseAttributes } from "@caravel/api";
import { isZkMaster, openMasterSource } from "@caravel/coordination";
import type { Logger } from "@caravel/runtime";
import { containerizerNames, masterUrls, type AgentConfig } from "../config.js";
import type { Containerizer } from "../containerizers/types.js";
import { SimContainerizer } from "../containerizers/sim/index.js";
import { ProcessContainerizer } from "../containerizers/process/index.js";
import { DockerContainerizer } from "../containerizers/docker/index.js";
import { agentResources, readMachineFacts } from "../resources/detect.js";
import { Agent, type AgentSettings } from "./agent.js";
import { FileCheckpointer, MemoryCheckpointer } from "./checkpoint.js";
import { AgentMetrics } from "./metrics.js";

export interface BuiltAgents {
  agents: Agent[];
  containerizers: Containerizer[];
  /** Stops master detection (ZooKeeper). */
  close(): Promise<void>;
}

async function makeContainerizers(config: AgentConfig, log: Logger): Promise<Containerizer[]> {
  const names = containerizerNames(config.containerizers);
  // One agent keeps the sim's kills beside its checkpoint; N simulated agents keep no state at all.
  const sim = () => new SimContainerizer(config.simulate === 1 ? { stateDir: join(config.work_dir, "containers", "sim") } : {});
  if (names.length === 1 && names[0] === "sim") return [sim()];
  const out: Containerizer[] = [];
  for (const name of names) {
    if (name === "sim") out.push(sim());
    if (name === "mesos") {
      out.push(new ProcessContainerizer({ runDir: join(config.work_dir, "containers"), cacheDir: join(config.work_dir, "cache"), logger: log.child({ containerizer: "mesos" }) }));
    }
    if (name === "docker") {
      const docker = new DockerContainerizer({ cacheDir: join(config.work_dir, "cache"), hostIp: config.advertise_ip ?? config.ip, logger: log.child({ containerizer: "docker" }) });
      if (await docker.available()) out.push(docker);
      else log.warn("no Docker engine answers on /var/run/docker.sock; Docker tasks will not be offered here (start dockerd to enable them)");
    }
  }
  // Docker first: it only takes DOCKER tasks; the process containerizer takes plain commands.
  return out.sort((a, b) => (a.name === "docker" ? -1 : b.name === "docker" ? 1 : 0));
}

export async function buildAgents(config: AgentConfig, log: Logger, listenPort: number): Promise<BuiltAgents> {
  if (!isZkMaster(config.master)) masterUrls(config.master); // a bad entry fails here, named
  const source = await openMasterSource(config.master, log);
  const masters = source.urls;
  const containerizers = await makeContainerizers(config, log);
  const sim = containerizers.length === 1 && containerizers[0]!.name === "sim";
  if (config.simulate > 1 && !sim) throw new Error("--simulate N needs --containerizers=sim");
  const facts = await readMachineFacts(config.work_dir);
  const resources = agentResources(facts, config.resources, config.default_role);
  let attributes;
  try {
    attributes = config.attributes ? parseAttributes(config.attributes) : [];
  } catch (error) {
    throw new Error(`--attributes: ${(error as Error).message}`);
  }
  const base: AgentSettings = {
    masters,
    hostname: config.hostname ?? osHostname(),
    ip: config.advertise_ip ?? config.ip,
    port: listenPort,
    workDir: config.work_dir,
    resources,
    attributes,
    containerizers,
    backoffFactorMs: config.registration_backoff_factor * 1000,
    statusRetryMs: config.status_update_retry_interval * 1000,
    defaultGraceMs: config.executor_shutdown_grace_period * 1000,
    ...(config.dns_server ? { dnsServer: config.dns_server } : {}),
  };
  if (config.simulate === 1) {
    const agent = new Agent({
      settings: base,
      checkpointer: new FileCheckpointer(join(config.work_dir, "meta", "journal")),
      log,
      onShutdown: () => process.kill(process.pid, "SIGTERM"),
    });
    source.onChange(() => agent.link.reconnect());
    return { agents: [agent], containerizers, close: () => source.close() };
  }
  const agents: Agent[] = [];
  for (let i = 0; i < config.simulate; i++) {
    const agentLog = log.child({ agent: i });
    agents.push(
      new Agent({
        settings: { ...base, hostname: `sim-agent-${i}`, port: listenPort + i, lightweight: true },
        checkpointer: new MemoryCheckpointer(),
        log: agentLog,
        metrics: new AgentMetrics({ recordTimings: false }),
      }),
    );
  }
  source.onChange(() => agents.forEach((a) => a.link.reconnect()));
  return { agents, containerizers, close: () => source.close() };
}
