export * from "./config.js";
export * from "./logger.js";
export * from "./metrics.js";
export * from "./http.js";
export * from "./process.js";
export * from "./main.js";
