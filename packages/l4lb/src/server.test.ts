import { execFile } from "node:child_process";
import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyOperatorEvent, clusterViewFromMasterState, type ClusterView } from "@caravel/api";
import { silentLogger } from "@caravel/runtime";
import { L4lbConfig } from "./config.js";
import { kernelPlaneAvailable } from "./plane/kernel.js";
import { createServer, type L4lbServer } from "./server.js";

const hostIp = (): string => {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal && !a.address.startsWith("172.17.")) return a.address;
  }
  throw new Error("no non-loopback IPv4 address");
};

function curl(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("curl", ["-sS", "--max-time", "5", url], (error, stdout) => {
      if (error && (error as NodeJS.ErrnoException).code === "ENOENT") return reject(new Error("curl is missing: apt-get install -y curl"));
      if (error) return reject(error);
      return resolve(stdout);
    });
  });
}

/** A Marathon-style state: app /web with 3 instances on `ip`, VIP label `/web:80`. */
function state(ip: string, ports: number[]) {
  return {
    leader: "master@127.0.0.1:5050",
    slaves: [{ id: "S1", hostname: "h", pid: `slave(1)@${ip}:5051` }],
    frameworks: [
      {
        id: "fw",
        name: "marathon",
        tasks: ports.map((port, i) => ({
          id: `web.${i}`,
          name: "web",
          slave_id: "S1",
          state: "TASK_RUNNING",
          resources: { ports: `[${port}-${port}]` },
          statuses: [{ state: "TASK_RUNNING", timestamp: 1, healthy: true }],
          discovery: { visibility: "FRAMEWORK", name: "web", ports: { ports: [{ number: port, protocol: "tcp", labels: { labels: [{ key: "VIP_0", value: "/web:80" }] } }] } },
        })),
      },
    ],
  };
}

for (const kind of ["userspace", "kernel"] as const) {
  describe(`caravel-l4lb (${kind} plane)`, () => {
    const backends: Server[] = [];
    let server: L4lbServer;
    let view: ClusterView;
    let http: string;

    beforeAll(async () => {
      if (kind === "kernel" && !(await kernelPlaneAvailable())) throw new Error("kernel plane needs root and iptables: apt-get install -y iptables");
      const ip = kind === "kernel" ? hostIp() : "127.0.0.1";
      const ports: number[] = [];
      for (let i = 0; i < 3; i++) {
        const b = createHttpServer((_req, res) => res.end(`web-${i}`));
        await new Promise<void>((r) => b.listen(0, ip, () => r()));
        backends.push(b);
        ports.push((b.address() as AddressInfo).port);
      }
      // A /16 keeps test VIPs away from anything a real caravel-l4lb on this host hands out.
      const cidr = kind === "kernel" ? "11.250.0.0/16" : "127.250.0.0/16";
      server = createServer({ config: L4lbConfig.parse({ http_port: 0, data_plane: kind, vip_cidr: cidr, chain_prefix: `CVS${process.pid % 10000}` }), log: silentLogger(), noMaster: true });
      http = (await server.listen()).httpUrl;
      view = clusterViewFromMasterState(state(ip, ports));
      server.update(view);
      await server.settled();
    });
    afterAll(async () => {
      await server?.close();
      for (const b of backends) b.close();
    });

    it("serves /v1/vips in dcos-net's shape", async () => {
      const vips = (await (await fetch(`${http}/v1/vips`)).json()) as { vip: string; protocol: string; backend: unknown[] }[];
      expect(vips).toHaveLength(1);
      expect(vips[0]).toMatchObject({ vip: "web.marathon.l4lb.thisdcos.directory:80", protocol: "tcp" });
      expect(vips[0]!.backend).toHaveLength(3);
    });

    it("curl through the named VIP spreads requests over the 3 instances", async () => {
      const vip = server.table()[0]!;
      const seen = new Set<string>();
      for (let i = 0; i < 45 && seen.size < 3; i++) seen.add(await curl(`http://${vip.ip}:${vip.port}/`));
      expect([...seen].sort()).toEqual(["web-0", "web-1", "web-2"]);
    });

    it("an unhealthy or killed instance gets no new connections", async () => {
      view = applyOperatorEvent(view, { type: "TASK_UPDATED", task_updated: { state: "TASK_RUNNING", status: { task_id: { value: "web.0" }, state: "TASK_RUNNING", healthy: false } } });
      view = applyOperatorEvent(view, { type: "TASK_UPDATED", task_updated: { state: "TASK_KILLED", status: { task_id: { value: "web.1" }, state: "TASK_KILLED" } } });
      server.update(view);
      await server.settled();
      const vip = server.table()[0]!;
      const seen = new Set<string>();
      for (let i = 0; i < 20; i++) seen.add(await curl(`http://${vip.ip}:${vip.port}/`));
      expect([...seen]).toEqual(["web-2"]);
    });
  });
}
