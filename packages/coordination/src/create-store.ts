/**
 * Picks the Store implementation from a URL, as `--zk` style flags give it:
 * `zk://…` → ZooKeeper; `file:///dir` or a plain path → the embedded file store.
 */
import { fileURLToPath } from "node:url";
import { CaravelError } from "@caravel/api";
import { createFileStore, type FileStoreOptions } from "./file/file-store.js";
import type { Store } from "./store.js";
import { createZkStore, type ZkStoreOptions } from "./zk/zk-store.js";

export type StoreOptions = FileStoreOptions & ZkStoreOptions;

/** Opens the store a URL names. */
export async function createStore(url: string, options: StoreOptions = {}): Promise<Store> {
  if (url.startsWith("zk://")) return createZkStore(url, options);
  if (url.startsWith("file://")) {
    let dir: string;
    try {
      dir = fileURLToPath(url);
    } catch (error) {
      throw new CaravelError(
        "INVALID_REQUEST",
        `store URL ${JSON.stringify(url)} is not a valid file URL (${(error as Error).message}); use file:///absolute/dir`,
        {
          path: "store",
        },
      );
    }
    return createFileStore(dir, options);
  }
  if (url === "" || /^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new CaravelError(
      "INVALID_REQUEST",
      `store URL ${JSON.stringify(url)} is not supported; use zk://host:2181/path, file:///dir or a directory path`,
      {
        path: "store",
      },
    );
  }
  return createFileStore(url, options);
}
