/** Starts an in-process master on port 0 with test-friendly timings. */
import { silentLogger } from "@caravel/runtime";
import { MasterConfig } from "../config.js";
import { createMaster, type MasterServer } from "../server.js";
import { memoryRegistryStore, type RegistryStore } from "../registry.js";

export interface TestMaster {
  server: MasterServer;
  url: string;
  store: RegistryStore;
  close(): Promise<void>;
}

export async function startTestMaster(overrides: Partial<Record<keyof MasterConfig, unknown>> = {}, store: RegistryStore = memoryRegistryStore()): Promise<TestMaster> {
  const config = MasterConfig.parse({ port: 0, allocation_interval: 0.05, heartbeat_interval: 1, ...overrides });
  const server = await createMaster({ config, log: silentLogger(), store });
  const listening = await server.listen();
  return { server, url: listening.url, store, close: () => server.close() };
}
