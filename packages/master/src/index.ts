export { createMaster, type MasterServer, type MasterServerOptions } from "./server.js";
export { MasterConfig } from "./config.js";
export { memoryRegistryStore, type RegistryStore } from "./registry.js";
