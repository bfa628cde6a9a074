/** Opens the Store behind the registry: the embedded file store in --work_dir, or ZooKeeper with --zk. */
import { join } from "node:path";
import { createStore, type Store } from "@caravel/coordination";
import type { MasterConfig } from "./config.js";
import type { RegistryStore } from "./registry.js";

export type OpenedStore = RegistryStore & { readonly store: Store; close(): Promise<void> };

export function registryStoreOf(store: Store): RegistryStore {
  return {
    getJson: async <T>(path: string) => (await store.getJson<T>(path))?.value,
    putJson: (path, value) => store.putJson(path, value),
    delete: (path) => store.delete(path),
    children: (path) => store.children(path),
    // Watches are persistent (re-armed by the Store) until unsubscribed.
    watch: (path, listener) => store.watch(path, () => listener()),
    watchChildren: (path, listener) => store.watchChildren(path, listener),
    onSessionLost: (listener) => store.onSessionLost(listener),
  };
}

export async function openRegistryStore(config: MasterConfig): Promise<OpenedStore> {
  const store = await createStore(config.zk ?? join(config.work_dir, "store"), { sessionTimeoutMs: config.zk_session_timeout * 1000 });
  return { ...registryStoreOf(store), store, close: () => store.close() };
}
