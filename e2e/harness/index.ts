/** Shared helpers for whole-cluster scenarios (e2e/*). */
export * from "./cluster.js";
export * from "./requirements.js";
export * from "@caravel/testing";
export * from "./netns.js";
