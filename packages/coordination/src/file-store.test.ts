import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFileStore } from "./file/file-store.js";
import { runStoreContract } from "./store.contract.js";

runStoreContract("embedded file store", async () => {
  const dir = await mkdtemp(join(tmpdir(), "caravel-store-"));
  return {
    open: () => createFileStore(dir),
    teardown: () => rm(dir, { recursive: true, force: true }),
  };
});
