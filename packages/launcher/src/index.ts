/** caravel-launch as a library: the component table, planning, resource shares and supervision. */
export * from "./components.js";
export * from "./config.js";
export * from "./shares.js";
export * from "./backoff.js";
export * from "./plan.js";
export * from "./state.js";
export * from "./supervisor.js";
export * from "./report.js";
export * from "./table.js";
export { up, down, status, repoRoot, type Io } from "./commands.js";
