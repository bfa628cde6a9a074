/**
 * Loaded before every test file (vitest.config.ts `setupFiles`): whatever a file started through
 * `startProcess` is stopped when the file ends, even if the file registered no cleanup of its own
 * (e.g. `useProcesses()` called inside a beforeAll, where its afterAll never runs).
 */
import { afterAll } from "vitest";
import { stopAllProcesses } from "./process.js";

afterAll(() => stopAllProcesses(), 120_000);
