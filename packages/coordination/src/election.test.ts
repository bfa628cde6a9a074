import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CaravelError } from "@caravel/api";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLeaderElection, memberships } from "./election.js";
import { createFileStore, type FileStore } from "./file/file-store.js";
import type { Store } from "./store.js";
import { eventually } from "./testing/wait.js";

describe("memberships", () => {
  it("orders sequence-numbered children by sequence, whatever their label, and ignores others", () => {
    expect(
      memberships(["json.info_0000000007", "log_replicas", "info_0000000003", "json.info_0000000010"]),
    ).toEqual(["info_0000000003", "json.info_0000000007", "json.info_0000000010"]);
  });
});

describe("LeaderElection", () => {
  let dir: string;
  let store: FileStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "caravel-election-"));
    store = await createFileStore(dir);
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("removes its node when the create succeeded but its answer was lost", async () => {
    // A store whose create happens but reports a timeout, as a ZooKeeper call can.
    const flaky = Object.create(store) as Store;
    flaky.create = async (path, data, options) => {
      await store.create(path, data, options);
      throw new CaravelError("STORE_UNAVAILABLE", "ZooKeeper did not answer within 10000 ms");
    };
    const election = createLeaderElection(flaky, "/mesos");
    await expect(election.campaign(Buffer.from('{"id":"m1"}'))).rejects.toThrow(/did not answer/);
    await eventually(async () => (await store.children("/mesos")).length === 0, "orphan node removed");
    expect(election.isLeader()).toBe(false);
  });

  it("refuses a second campaign while one runs", async () => {
    const election = createLeaderElection(store, "/mesos");
    await election.campaign(Buffer.from('{"id":"m1"}'));
    await expect(election.campaign(Buffer.from('{"id":"m1"}'))).rejects.toThrow(/already campaigning/);
    await election.resign();
    expect(await store.children("/mesos")).toEqual([]);
  });
});
