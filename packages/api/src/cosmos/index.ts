export * from "./media.js";
export * from "./wire.js";
