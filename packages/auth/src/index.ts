export * from "./keys.js";
export * from "./tokens.js";
export * from "./permissions.js";
export * from "./filters.js";
export * from "./request.js";
export * from "./backend.js";
