/** One real ZooKeeper for a test file. */
import { afterAll, beforeAll } from "vitest";
import { startZooKeeper, type ZooKeeperServer } from "@caravel/coordination/testing";

/**
 * Starts a ZooKeeper before the file's tests and stops it after them; its `url(chroot)` is usable
 * inside tests. It throws with the install command when ZooKeeper is missing: such tests never skip.
 */
export function zooKeeperForFile(): { url(chroot: string): string } {
  let server: ZooKeeperServer | undefined;
  beforeAll(async () => {
    server = await startZooKeeper();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });
  return { url: (chroot) => server!.url(chroot) };
}
