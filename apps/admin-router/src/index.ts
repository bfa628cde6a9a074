export { createServer, type AdminRouter, type RouterDeps } from "./server.js";
export { RouterConfig } from "./config.js";
export { createDirStore, type RouterStore } from "./store/store.js";
export { IamService } from "./iam/service.js";
