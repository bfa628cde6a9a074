export { createMaster, type MasterServer, type MasterServerOptions } from "./server.js";
export { MasterConfig } from "./config.js";
export { memoryRegistryStore, type RegistryStore } from "./registry.js";
export { openRegistryStore } from "./store.js";
/** The in-memory records, for benchmarks and tools that build large states directly. */
export { newAgentRecord, newFrameworkRecord, taskKey, type AgentRecord, type FrameworkRecord, type TaskRecord } from "./state/types.js";
