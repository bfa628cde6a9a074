import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isCaravelError } from "@caravel/api";
import { describe, expect, it } from "vitest";
import { createStore } from "./create-store.js";

describe("createStore", () => {
  it("opens the embedded store for file:// URLs and plain paths", async () => {
    const dir = await mkdtemp(join(tmpdir(), "caravel-create-"));
    try {
      const a = await createStore(`file://${dir}/s`);
      const b = await createStore(`${dir}/s`);
      expect([a.kind, b.kind]).toEqual(["file", "file"]);
      await a.put("/x", Buffer.from("1"));
      expect((await b.get("/x"))?.data.toString()).toBe("1");
      await a.close();
      await b.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses unknown schemes and malformed zk URLs with INVALID_REQUEST", async () => {
    for (const url of ["", "http://h/x", "etcd://h:2379", "zk://", "zk://h:70000/x"]) {
      const error = await createStore(url).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isCaravelError(error, "INVALID_REQUEST"), url).toBe(true);
    }
  });
});
