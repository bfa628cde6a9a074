import { networkInterfaces } from "node:os";
import { expect } from "vitest";
import { caravelChains, createKernelPlane, kernelPlaneAvailable } from "./kernel.js";
import { dataPlaneContract } from "./plane.contract.js";

/** The host's first non-loopback IPv4 address: DNAT to 127.0.0.1 is not routable for containers. */
const hostIp = (): string => {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal && !a.address.startsWith("172.17.")) return a.address;
  }
  throw new Error("no non-loopback IPv4 address for kernel-plane backends");
};

// Our own chain prefix: never touch the chains of a caravel-l4lb running on this host.
const prefix = `CVK${process.pid % 10000}`;

dataPlaneContract("kernel (iptables)", async () => {
  if (!(await kernelPlaneAvailable())) {
    throw new Error("the kernel plane needs root and iptables: run as root and apt-get install -y iptables");
  }
  return {
    plane: await createKernelPlane({ balance: "random", prefix }),
    backendHost: hostIp(),
    vipIp: "11.254.0.9",
    async assertClean() {
      expect(await caravelChains(prefix)).toEqual([]);
    },
  };
});
