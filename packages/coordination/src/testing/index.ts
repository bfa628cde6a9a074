/** Test helpers for packages that need a real coordination backend (not for production code). */
export * from "./zookeeper.js";
export * from "./wait.js";
export * from "./proxy.js";
