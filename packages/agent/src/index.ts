/** @caravel/agent: the agent process's building blocks (the binary is dist/main.js). */
export { AgentConfig, masterUrls, containerizerNames } from "./config.js";
export { Agent, AGENT_VERSION, type AgentSettings, type AgentDeps } from "./core/agent.js";
export { buildAgents } from "./core/build.js";
export { FileCheckpointer, MemoryCheckpointer, type Checkpointer } from "./core/checkpoint.js";
export { createServer, type AgentServer, type ServerDeps } from "./http/server.js";
export { SimContainerizer } from "./containerizers/sim/index.js";
export { agentResources, detectedResources, readMachineFacts } from "./resources/detect.js";
export * from "./containerizers/types.js";
