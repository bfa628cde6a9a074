/**
 * One contract suite for every data plane (DESIGN.md §9): real backends on real sockets, real
 * connections through the VIP. Spreading, health-awareness, removal and UDP, then clean-up.
 */
import { createSocket } from "node:dgram";
import { Agent, createServer, get, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VipBackend, VipEntry } from "@caravel/api";
import type { DataPlane } from "./types.js";

export interface ContractSetup {
  plane: DataPlane;
  /** Address the test backends listen on (reachable through the plane). */
  backendHost: string;
  /** The VIP address to use. */
  vipIp: string;
  /** Checks that nothing of the plane is left after close. */
  assertClean(): Promise<void>;
}

function httpGet(url: string, localAddress?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, timeout: 5_000, ...(localAddress ? { localAddress } : {}) }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve(body));
    });
    req.on("timeout", () => req.destroy(new Error(`timeout on ${url}`)));
    req.on("error", reject);
  });
}

function udpAsk(ip: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket("udp4");
    const timer = setTimeout(() => {
      s.close();
      reject(new Error("no UDP answer"));
    }, 5_000);
    s.on("message", (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m.toString());
    });
    s.send("who", port, ip);
  });
}

export function dataPlaneContract(name: string, setup: () => Promise<ContractSetup>): void {
  describe(`data plane contract: ${name}`, () => {
    let ctx: ContractSetup;
    const servers: Server[] = [];
    const udp: ReturnType<typeof createSocket>[] = [];
    const backends: VipBackend[] = [];
    const udpBackends: VipBackend[] = [];
    const vipPort = 20_000 + Math.floor(Math.random() * 20_000);
    const entry = (bs: VipBackend[], protocol: "tcp" | "udp" = "tcp"): VipEntry => ({
      key: `web.marathon.l4lb.thisdcos.directory:${vipPort}`,
      protocol,
      fqdn: "web.marathon.l4lb.thisdcos.directory",
      ip: ctx.vipIp,
      port: vipPort,
      backends: bs,
    });

    beforeAll(async () => {
      ctx = await setup();
      for (let i = 0; i < 3; i++) {
        const server = createServer((_req, res) => res.end(`backend-${i}`));
        await new Promise<void>((r) => server.listen(0, ctx.backendHost, () => r()));
        servers.push(server);
        backends.push({ ip: ctx.backendHost, port: (server.address() as AddressInfo).port, weight: 1, taskId: `t${i}` });
      }
      for (let i = 0; i < 2; i++) {
        const s = createSocket("udp4");
        s.on("message", (_m, r) => s.send(`udp-${i}`, r.port, r.address));
        await new Promise<void>((r) => s.bind(0, ctx.backendHost, () => r()));
        udp.push(s);
        udpBackends.push({ ip: ctx.backendHost, port: s.address().port, weight: 1, taskId: `u${i}` });
      }
    });
    afterAll(async () => {
      await ctx?.plane.close();
      for (const s of servers) s.close();
      for (const s of udp) s.close();
    });

    it("spreads new connections over every backend", async () => {
      await ctx.plane.apply([entry(backends)]);
      const seen = new Set<string>();
      for (let i = 0; i < 45 && seen.size < 3; i++) seen.add(await httpGet(`http://${ctx.vipIp}:${vipPort}/`));
      expect([...seen].sort()).toEqual(["backend-0", "backend-1", "backend-2"]);
    });

    it("sends nothing new to an unhealthy or removed backend", async () => {
      const unhealthy = { ...backends[0]!, weight: 0 as const };
      await ctx.plane.apply([entry([unhealthy, backends[2]!])]);
      const seen = new Set<string>();
      for (let i = 0; i < 20; i++) seen.add(await httpGet(`http://${ctx.vipIp}:${vipPort}/`));
      expect([...seen]).toEqual(["backend-2"]);
      await ctx.plane.apply([entry(backends)]);
    });

    it("lets an established connection finish on a backend that was removed (draining)", async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const ask = () =>
        new Promise<string>((resolve, reject) => {
          get(`http://${ctx.vipIp}:${vipPort}/`, { agent }, (res) => {
            let body = "";
            res.on("data", (d: Buffer) => (body += d.toString()));
            res.on("end", () => resolve(body));
          }).on("error", reject);
        });
      const first = await ask();
      const index = Number(first.split("-")[1]);
      await ctx.plane.apply([entry(backends.filter((_, i) => i !== index))]);
      expect(await ask()).toBe(first); // same socket, same backend
      agent.destroy();
      const fresh = new Set<string>();
      for (let i = 0; i < 10; i++) fresh.add(await httpGet(`http://${ctx.vipIp}:${vipPort}/`));
      expect(fresh.has(first)).toBe(false);
      await ctx.plane.apply([entry(backends)]);
    });

    it("lets a backend reach itself through the VIP (hairpin)", async () => {
      const body = await httpGet(`http://${ctx.vipIp}:${vipPort}/`, ctx.backendHost);
      expect(body).toMatch(/^backend-\d$/);
    });

    it("balances UDP", async () => {
      await ctx.plane.apply([entry(backends), entry(udpBackends, "udp")]);
      const seen = new Set<string>();
      for (let i = 0; i < 30 && seen.size < 2; i++) seen.add(await udpAsk(ctx.vipIp, vipPort));
      expect([...seen].sort()).toEqual(["udp-0", "udp-1"]);
    });

    it("removes everything it installed on close", async () => {
      await ctx.plane.apply([]);
      await ctx.plane.close();
      await ctx.assertClean();
    });
  });
}
