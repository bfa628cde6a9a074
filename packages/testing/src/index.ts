/** Dev-only helpers for Caravel's tests: processes, polling, ports, builders, a fake clock, a test scheduler. */
export * from "./wait.js";
export * from "./ports.js";
export * from "./bin.js";
export * from "./clock.js";
export * from "./builders.js";
export * from "./process.js";
export * from "./registry.js";
export * from "./framework.js";
