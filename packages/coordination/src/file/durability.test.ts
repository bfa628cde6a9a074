import { appendFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isCaravelError } from "@caravel/api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createStore } from "../create-store.js";
import { createFileStore, type FileStore } from "./file-store.js";
import { JOURNAL_FILE, SNAPSHOT_FILE } from "./journal.js";

describe("embedded file store durability", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "caravel-durable-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps persistent nodes, versions and sequence counters across a reopen, and drops ephemerals", async () => {
    const a = await createFileStore(dir);
    await a.put("/apps/web", Buffer.from("v0"));
    await a.put("/apps/web", Buffer.from("v1"));
    await a.create("/eph", Buffer.from("x"), { ephemeral: true });
    const first = await a.create("/q/n-", Buffer.from("1"), { sequential: true });
    await a.create("/q/e-", Buffer.from("2"), { sequential: true, ephemeral: true });
    await a.put("/gone/x", Buffer.from("x"));
    await a.delete("/gone", { recursive: true });
    await a.close();

    const b = await createFileStore(dir);
    expect(await b.get("/apps/web")).toEqual({ data: Buffer.from("v1"), version: 1 });
    expect(await b.get("/eph")).toBeUndefined();
    expect(await b.get("/gone")).toBeUndefined();
    expect(await b.children("/q")).toEqual([first.slice(3)]);
    expect(await b.create("/q/n-", Buffer.from("3"), { sequential: true })).toBe("/q/n-0000000002");
    await b.close();
  });

  it("group-commits: 1,000 concurrent puts share a handful of fsyncs and all survive a reopen", async () => {
    const store = await createFileStore(dir);
    const before = store.stats().fsyncs;
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) => store.put(`/bulk/n${i}`, Buffer.from(String(i)))),
    );
    const fsyncs = store.stats().fsyncs - before;
    expect(fsyncs).toBeGreaterThanOrEqual(1);
    expect(fsyncs).toBeLessThanOrEqual(5);
    await store.close();
    const again = await createFileStore(dir);
    expect((await again.children("/bulk")).length).toBe(1000);
    expect((await again.get("/bulk/n999"))?.data.toString()).toBe("999");
    await again.close();
  });

  it("ignores a torn last journal line (a crash mid-write) and goes on appending after it", async () => {
    const a = await createFileStore(dir);
    await a.put("/k", Buffer.from("good"));
    await a.close();
    await appendFile(join(dir, JOURNAL_FILE), '{"o":"s","p":"/k","v":7,"d":"YmFk');
    const b = await createFileStore(dir);
    expect(await b.get("/k")).toEqual({ data: Buffer.from("good"), version: 0 });
    await b.put("/k2", Buffer.from("next"));
    await b.close();
    const c = await createFileStore(dir);
    expect((await c.get("/k2"))?.data.toString()).toBe("next");
    await c.close();
  });

  it("refuses a journal corrupt in the middle, naming the file and line", async () => {
    await writeFile(join(dir, JOURNAL_FILE), 'garbage\n{"o":"s","p":"/a","v":0,"d":"","c":0}\n');
    const error = await createFileStore(dir).catch((e: unknown) => e);
    expect(isCaravelError(error, "STORE_UNAVAILABLE")).toBe(true);
    expect((error as Error).message).toContain(`${JOURNAL_FILE} is corrupt at line 1`);
  });

  it("compacts the journal into a snapshot and reloads the same tree", async () => {
    const store = await createFileStore(dir, { compactBytes: 4096 });
    for (let i = 0; i < 200; i++) await store.put(`/c/n${i % 20}`, Buffer.from(`value-${i}`));
    await store.delete("/c/n0");
    expect(store.stats().compactions).toBeGreaterThan(0);
    await store.close();
    expect((await readFile(join(dir, SNAPSHOT_FILE), "utf8")).length).toBeGreaterThan(0);
    const again = await createFileStore(dir);
    expect((await again.children("/c")).length).toBe(19);
    expect(await again.get("/c/n19")).toEqual({ data: Buffer.from("value-199"), version: 9 });
    await again.close();
  });

  it("refuses a directory another live process holds, and takes over a stale lock", async () => {
    await writeFile(join(dir, "LOCK"), String(process.ppid));
    const error = await createFileStore(dir).catch((e: unknown) => e);
    expect(isCaravelError(error, "STORE_UNAVAILABLE")).toBe(true);
    expect((error as Error).message).toContain(`in use by process ${process.ppid}`);
    await writeFile(join(dir, "LOCK"), "4194303"); // above any pid this kernel hands out by default
    const store = await createFileStore(dir);
    expect(await readFile(join(dir, "LOCK"), "utf8")).toBe(String(process.pid));
    await store.close();
  });

  it("shares one backend between handles of a directory, and survives a throwing watcher", async () => {
    const a = (await createStore(`file://${dir}`)) as FileStore;
    const b = (await createStore(dir)) as FileStore;
    const seen: string[] = [];
    await a.watch("/w", () => {
      throw new Error("listener bug");
    });
    await a.watch("/w", (e) => seen.push(e.type));
    await b.put("/w", Buffer.from("x"));
    expect(seen).toEqual(["created"]);
    expect(a.dir).toBe(b.dir);
    await a.close();
    expect((await b.get("/w"))?.data.toString()).toBe("x");
    await b.close();
  });

  it("lets a reopen wait for the previous close of the same directory", async () => {
    const a = await createFileStore(dir);
    const writes = Array.from({ length: 50 }, (_, i) => a.put(`/r/n${i}`, Buffer.from(String(i))));
    await Promise.all(writes);
    const closed = a.close();
    const reopened = createFileStore(dir); // not awaiting the close first
    await closed;
    const b = await reopened;
    expect((await b.children("/r")).length).toBe(50);
    expect(await readFile(join(dir, "LOCK"), "utf8")).toBe(String(process.pid));
    await b.close();
  });
});
