/** Vitest glue: processes started through `useProcesses()` are stopped when the test file ends. */
import { afterAll } from "vitest";
import { startProcess, type ProcessHandle, type StartProcessOptions } from "./process.js";

export interface ProcessScope {
  /** Starts a process owned by this scope (see `startProcess`). */
  start(options: StartProcessOptions): Promise<ProcessHandle>;
  /** Stops every process of this scope that still runs. */
  stopAll(): Promise<void>;
  /** The processes started so far. */
  readonly processes: readonly ProcessHandle[];
}

/** Call at the top level of a test file; registers an afterAll that stops what the file started. */
export function useProcesses(): ProcessScope {
  const processes: ProcessHandle[] = [];
  const scope: ProcessScope = {
    processes,
    start: async (options) => {
      const handle = await startProcess(options);
      processes.push(handle);
      return handle;
    },
    stopAll: async () => {
      await Promise.all(processes.map((p) => p.stop()));
    },
  };
  afterAll(() => scope.stopAll(), 120_000);
  return scope;
}
