export * from "./path-id.js";
export * from "./app.js";
export * from "./legacy.js";
export * from "./validate.js";
export * from "./group.js";
export * from "./pod.js";
export * from "./views.js";
export * from "./events.js";
