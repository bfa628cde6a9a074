export { createServer, type MarathonServer, type ServerDeps, VERSION } from "./server.js";
export { MarathonConfig } from "./config.js";
export { Marathon } from "./core/marathon.js";
export { placeInstances } from "./placement/place.js";
export { explainPlacement } from "./placement/explain.js";
export { buildPlan } from "./deploy/plan.js";
export { controlApp } from "./deploy/control.js";
