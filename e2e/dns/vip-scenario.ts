/**
 * The whole path with real processes: caravel-launch starts master, agent (mesos containerizer),
 * Marathon, caravel-dns and caravel-l4lb; a 3-instance Marathon app declares the named VIP
 * `/prod/web:80`. dig finds the app, its SRV records and the VIP; curl through the VIP address
 * spreads over the 3 instances; a killed instance gets no new connections and leaves DNS.
 * Needs root: VIPs in 11.0.0.0/8; run once per data plane (vip.test.ts kernel/iptables,
 * vip-userspace.test.ts the userspace proxy), chosen through caravel-l4lb's CARAVEL_DATA_PLANE.
 */
import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireRoot, startLocalCluster, type LocalCluster } from "../harness/index.js";
import { dig, until } from "../../packages/dns/src/testing/dig.js";

const curl = (url: string): Promise<string> =>
  new Promise((resolve) =>
    execFile("curl", ["-s", "--max-time", "5", url], (error, out) => resolve(error ? "" : out.trim())),
  );

/** The scenario, with caravel-l4lb on `plane`. */
export function vipScenario(plane: "kernel" | "userspace"): void {
  describe(`Marathon app behind a named VIP, resolved by caravel-dns (${plane} plane)`, () => {
    let cluster: LocalCluster;
    let dnsPort: number;
    let marathon: string;
    let l4lb: string;

    beforeAll(async () => {
      requireRoot();
      // This cluster's caravel-l4lb gets its own iptables chains, apart from any other on this host.
      process.env["CARAVEL_CHAIN_PREFIX"] = `CVE${process.pid % 10000}`;
      process.env["CARAVEL_DATA_PLANE"] = plane; // read by caravel-l4lb only
      cluster = await startLocalCluster({ agents: 1, containerizers: "mesos" });
      marathon = cluster.url("marathon");
      l4lb = cluster.url("l4lb");
      dnsPort = ((await (await fetch(`${cluster.url("dns")}/v1/config`)).json()) as { Port: number }).Port;
      const app = {
        id: "/prod/web",
        cmd: "echo $MESOS_TASK_ID > id.txt; exec python3 -m http.server $PORT0 --bind 0.0.0.0",
        cpus: 0.1,
        mem: 64,
        instances: 3,
        portDefinitions: [{ port: 0, name: "http", protocol: "tcp", labels: { VIP_0: "/prod/web:80" } }],
      };
      const created = await fetch(`${marathon}/v2/apps`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(app),
      });
      expect(created.status).toBe(201);
    }, 240_000);
    afterAll(async () => {
      // Remove the app first so its task processes are killed by the agent, not left behind.
      if (marathon) {
        await fetch(`${marathon}/v2/apps/prod/web`, { method: "DELETE" }).catch(() => undefined);
        await until(
          async () =>
            (await fetch(`${marathon}/v2/apps/prod/web`)).status === 404 &&
            (await dig(dnsPort, "web-prod.marathon.mesos")).status === "NXDOMAIN",
          "the app to be gone",
          60_000,
        ).catch(() => undefined);
      }
      await cluster?.down();
    }, 120_000);

    it("dig answers the app, its named port and its VIP", async () => {
      await until(
        async () =>
          (await dig(dnsPort, "web-prod.marathon.mesos")).answers.length === 1 &&
          (await dig(dnsPort, "_http._web-prod._tcp.marathon.mesos", "SRV")).answers.length === 3,
        "3 instances in DNS",
        120_000,
      );
      const vip = await dig(dnsPort, "prodweb.marathon.l4lb.thisdcos.directory");
      expect(vip.answers[0]!.ttl).toBe(5);
      const vips = (await (await fetch(`${l4lb}/v1/vips`)).json()) as { vip: string; backend: unknown[] }[];
      expect(vips[0]).toMatchObject({ vip: "prodweb.marathon.l4lb.thisdcos.directory:80" });
      expect(vips[0]!.backend).toHaveLength(3);
      expect(((await (await fetch(`${l4lb}/v1/table`)).json()) as { plane: string }).plane).toBe(plane);
    }, 150_000);

    it("curl through the named VIP spreads requests over the 3 instances", async () => {
      const ip = (await dig(dnsPort, "prodweb.marathon.l4lb.thisdcos.directory")).answers[0]!.data;
      const seen = new Set<string>();
      await until(
        async () => {
          const body = await curl(`http://${ip}:80/id.txt`);
          if (body) seen.add(body);
          return seen.size === 3;
        },
        "answers from all 3 instances",
        90_000,
      );
    }, 120_000);

    it("a killed instance gets no new connections and leaves DNS", async () => {
      const ip = (await dig(dnsPort, "prodweb.marathon.l4lb.thisdcos.directory")).answers[0]!.data;
      const tasks = (
        (await (await fetch(`${marathon}/v2/apps/prod/web/tasks`)).json()) as { tasks: { id: string }[] }
      ).tasks;
      const victim = tasks[0]!.id;
      const killed = await fetch(
        `${marathon}/v2/apps/prod/web/tasks/${encodeURIComponent(victim)}?scale=true`,
        { method: "DELETE" },
      );
      expect(killed.ok).toBe(true);
      await until(
        async () =>
          ((await (await fetch(`${l4lb}/v1/vips`)).json()) as { backend: unknown[] }[])[0]?.backend.length ===
          2,
        "the VIP to drop the killed backend",
        60_000,
      );
      for (let i = 0; i < 20; i++) expect(await curl(`http://${ip}:80/id.txt`)).not.toBe(victim);
      await until(
        async () => (await dig(dnsPort, "_http._web-prod._tcp.marathon.mesos", "SRV")).answers.length === 2,
        "DNS to drop the killed instance",
        60_000,
      );
    }, 150_000);
  });
}
