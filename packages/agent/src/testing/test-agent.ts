/**
 * An in-process Agent against a (fake) master, for tests and benchmarks: test-friendly settings
 * (fast reconnects, short grace), a file checkpointer in `dir`, recovered and started.
 */
import { join } from "node:path";
import { parseResources } from "@caravel/api";
import { silentLogger } from "@caravel/runtime";
import { Agent, type AgentSettings } from "../core/agent.js";
import { FileCheckpointer } from "../core/checkpoint.js";
import { SimContainerizer } from "../containerizers/sim/index.js";

export async function startTestAgent(masterUrl: string, dir: string, overrides: Partial<AgentSettings> = {}): Promise<Agent> {
  const settings: AgentSettings = {
    masters: [masterUrl],
    hostname: "test-agent",
    ip: "127.0.0.1",
    port: 5051,
    workDir: dir,
    resources: parseResources("cpus:4;mem:4096;ports:[31000-32000]"),
    attributes: [],
    containerizers: [new SimContainerizer()],
    backoffFactorMs: 50,
    statusRetryMs: 10_000,
    defaultGraceMs: 100,
    ...overrides,
  };
  const agent = new Agent({ settings, checkpointer: new FileCheckpointer(join(dir, "meta", "journal")), log: silentLogger() });
  await agent.recover();
  agent.start();
  return agent;
}
