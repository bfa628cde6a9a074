/** Calls a watcher; a throwing watcher becomes a process warning and never breaks the store or the others. */
export function notifyWatcher(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    process.emitWarning(`a store watcher threw: ${(error as Error)?.stack ?? String(error)}`, "CaravelStoreWatcher");
  }
}
