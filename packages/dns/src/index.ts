export * from "./config.js";
export * from "./server.js";
export * from "./records/generate.js";
export * from "./records/names.js";
export * from "./records/record-set.js";
export * from "./server/resolve.js";
export * from "./server/handler.js";
export * from "./server/forwarder.js";
