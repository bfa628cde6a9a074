export * from "./config.js";
export * from "./server.js";
export * from "./plane/types.js";
export * from "./plane/rules.js";
export * from "./plane/kernel.js";
export * from "./plane/userspace.js";
export * from "./plane/balancer.js";
