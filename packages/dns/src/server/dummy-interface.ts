/**
 * A dedicated address on a dummy interface (like dcos-net's `spartan` with 198.51.100.1–3), so that
 * containers and tasks can use port 53 of a fixed address. Needs root; removed on close.
 */
import { execFileSync } from "node:child_process";

export const DUMMY_INTERFACE = "caravel-dns";

const ip = (args: string[]): void => {
  execFileSync("ip", args, { stdio: "pipe" });
};

/** Adds `address/32` to the dummy interface (creating it); returns the cleanup. */
export function addDummyAddress(address: string, iface = DUMMY_INTERFACE): () => void {
  try {
    ip(["link", "add", iface, "type", "dummy"]);
  } catch {
    // exists already (a previous run that was killed): reuse it
  }
  try {
    ip(["addr", "replace", `${address}/32`, "dev", iface]);
    ip(["link", "set", iface, "up"]);
  } catch (error) {
    throw new Error(`cannot add ${address} to dummy interface ${iface} (needs root and iproute2): ${(error as Error).message}`);
  }
  return () => {
    try {
      ip(["link", "del", iface]);
    } catch {
      // already gone
    }
  };
}
