/**
 * A dedicated address (like dcos-net's `spartan` 198.51.100.1–3), so that containers and tasks can
 * use port 53 of a fixed address. Prefers a dummy interface; kernels without the dummy driver (this
 * one: "Unknown device type") get the address on `lo` instead, which is just as reachable from
 * bridge containers (Linux accepts any local address on any interface). Needs root; removed on close.
 */
import { execFileSync } from "node:child_process";

export const DUMMY_INTERFACE = "caravel-dns";

const ip = (args: string[]): void => {
  execFileSync("ip", args, { stdio: "pipe" });
};

/** Adds `address/32` to the dummy interface (or `lo`); returns the cleanup. */
export function addDummyAddress(address: string, iface = DUMMY_INTERFACE): () => void {
  let device = iface;
  let created = false;
  try {
    ip(["link", "add", iface, "type", "dummy"]);
    created = true;
  } catch (error) {
    const message = (error as { stderr?: Buffer }).stderr?.toString() ?? "";
    if (!/exists/i.test(message)) device = "lo";
  }
  try {
    ip(["addr", "replace", `${address}/32`, "dev", device]);
    ip(["link", "set", device, "up"]);
  } catch (error) {
    throw new Error(`cannot add ${address} to ${device} (needs root and iproute2): ${(error as Error).message}`);
  }
  return () => {
    try {
      if (device === "lo") ip(["addr", "del", `${address}/32`, "dev", "lo"]);
      else if (created) ip(["link", "del", device]);
      else ip(["addr", "del", `${address}/32`, "dev", device]);
    } catch {
      // already gone
    }
  };
}
