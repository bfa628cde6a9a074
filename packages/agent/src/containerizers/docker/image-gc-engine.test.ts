/**
 * Docker image collection against the real engine, on throw-away images made from local/busybox:1
 * (each a container committed with a small file of its own, so that removing it frees real disk)
 * plus a throw-away tag of local/busybox:1 itself. The engine is shared with other tests: every
 * image that existed before this suite is kept by id, local/* by name, and budgets are set so that
 * a round has exactly one image to remove — the oldest of ours.
 */
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImageCollector } from "./image-gc-runner.js";
import { DOCKER_MISSING } from "./docker-containerizer.js";

const docker = new Docker({ socketPath: "/var/run/docker.sock" });
const repo = `caravel-gc-test-${process.pid}`;
const ours = [1, 2, 3].map((n) => `${repo}/img:${n}`);
const alias = `${repo}/busybox-alias:1`;
let keep: string[] = [];
let holder: Docker.Container | undefined;

async function exists(name: string): Promise<boolean> {
  return docker
    .getImage(name)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

/** A new image: local/busybox:1 plus `kb` KiB of random data, committed under `name`. */
async function makeImage(name: string, kb: number): Promise<void> {
  const c = await docker.createContainer({ Image: "local/busybox:1", Cmd: ["dd", "if=/dev/urandom", "of=/blob", "bs=1024", `count=${kb}`], Labels: { "caravel.test": repo } });
  await c.start();
  await c.wait();
  const [name0, tag] = name.split(":");
  await c.commit({ repo: name0, tag });
  await c.remove({ force: true });
}

beforeAll(async () => {
  await docker.ping().catch(() => {
    throw new Error(DOCKER_MISSING);
  });
  await docker.getImage("local/busybox:1").inspect().catch(() => {
    throw new Error("image local/busybox:1 missing: run `bash scripts/build-images`");
  });
  keep = ["local/*", ...(await docker.listImages({ all: true })).map((i) => i.Id)];
  for (const [i, name] of ours.entries()) await makeImage(name, 256 * (i + 1));
  await docker.getImage("local/busybox:1").tag({ repo: `${repo}/busybox-alias`, tag: "1" });
}, 120_000);

afterAll(async () => {
  await holder?.remove({ force: true }).catch(() => undefined);
  for (const name of [...ours, alias]) await docker.getImage(name).remove().catch(() => undefined);
});

describe("Docker image GC (real engine)", () => {
  it("removes the least recently used unused image over the budget, never one in use, launching or kept", { timeout: 120_000 }, async () => {
    const img2 = await docker.getImage(ours[1]!).inspect();
    // A stopped container of someone else's (no Caravel labels) still protects its image.
    holder = await docker.createContainer({ Image: ours[1]!, Cmd: ["true"], Labels: { "caravel.test": repo } });
    const launching = new Set([ours[2]!]);
    // Our images "last used" long ago, in order 1, 2, 3: older than anything else on the engine.
    const launched = new Map(ours.map((name, i) => [name, i + 1]));
    const collector = (budgetBytes: number) => new ImageCollector({ docker, policy: { budgetBytes, keep }, launching: () => launching, launched: () => launched });

    const facts = await collector(1).facts();
    expect(facts.totalBytes).toBeGreaterThan(0);
    const mine = facts.images.filter((i) => i.tags.some((t) => t.startsWith(`${repo}/img:`)));
    expect(mine).toHaveLength(3);
    for (const i of mine) expect(i.sizeBytes).toBeGreaterThanOrEqual(200 * 1024);
    expect(facts.usedByContainers.has(img2.Id)).toBe(true);

    // Over budget by one byte: one image must go, and of ours only img:1 may (2 is used, 3 launching).
    const first = await collector(facts.totalBytes - 1).collect();
    expect(first).toHaveLength(1);
    expect(await exists(ours[0]!)).toBe(false);
    expect(await exists(ours[1]!)).toBe(true);
    expect(await exists(ours[2]!)).toBe(true);
    expect(await exists("local/busybox:1")).toBe(true);
    expect(await exists(alias)).toBe(true);

    // Free 2 and 3 of their protection: the older (2) goes first.
    await holder.remove({ force: true });
    holder = undefined;
    launching.clear();
    const again = await collector(1).facts();
    const second = await collector(again.totalBytes - 1).collect();
    expect(second).toEqual([img2.Id]);
    expect(await exists(ours[1]!)).toBe(false);
    expect(await exists(ours[2]!)).toBe(true);

    // Within budget: nothing happens; off (0): nothing happens either.
    expect(await collector(again.totalBytes * 2).collect()).toEqual([]);
    expect(await collector(0).collect()).toEqual([]);
    expect(await exists("local/busybox:1")).toBe(true);
  });
});
