import { createConnection } from "node:net";
import { expect } from "vitest";
import { dataPlaneContract } from "./plane.contract.js";
import { createUserspacePlane } from "./userspace.js";

dataPlaneContract("userspace", async () => ({
  plane: createUserspacePlane({ drainMs: 30_000 }),
  backendHost: "127.0.0.1",
  vipIp: "127.64.0.9",
  async assertClean() {
    const refused = await new Promise<boolean>((resolve) => {
      const c = createConnection({ host: "127.64.0.9", port: 1 });
      c.on("error", () => resolve(true));
      c.on("connect", () => {
        c.destroy();
        resolve(false);
      });
    });
    expect(refused).toBe(true);
  },
}));
