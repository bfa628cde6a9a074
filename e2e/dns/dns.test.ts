/**
 * caravel-dns against a real caravel-master (through caravel-launch, simulated agent): names come
 * from the master's /master/state and SUBSCRIBE stream, a launched task resolves once RUNNING (A,
 * SRV with named port, its VIP under l4lb.thisdcos.directory) and stops resolving when killed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "@caravel/runtime";
import { builders, startLocalCluster, TestFramework, type LocalCluster } from "../harness/index.js";
import { DnsConfig, createServer, type DnsServer } from "../../packages/dns/src/index.js";
import { dig, until } from "../../packages/dns/src/testing/dig.js";

describe("caravel-dns with a real master", () => {
  let cluster: LocalCluster;
  let dns: DnsServer;
  let port: number;
  let fw: TestFramework;

  beforeAll(async () => {
    // This cluster's caravel-l4lb gets its own iptables chains, apart from any other on this host.
    process.env["CARAVEL_CHAIN_PREFIX"] = `CVD${process.pid % 10000}`;
    cluster = await startLocalCluster({ agents: 1, containerizers: "sim" });
    dns = createServer({ config: DnsConfig.parse({ port: 0, http_port: 0, master: cluster.masterUrl, authoritative_only: true }), log: silentLogger() });
    const listening = await dns.listen();
    port = listening.dnsPort;
    await until(async () => (await fetch(`${listening.httpUrl}/health`)).ok, "caravel-dns to sync with the master", 60_000);
    fw = await TestFramework.subscribe(cluster.masterUrl, { frameworkInfo: { name: "marathon" } });
  }, 180_000);
  afterAll(async () => {
    await fw?.teardown().catch(() => undefined);
    await dns?.close();
    await cluster?.down();
  });

  it("serves the leader and the agents", async () => {
    expect((await dig(port, "leader.mesos")).answers).toHaveLength(1);
    await until(async () => (await dig(port, "slave.mesos")).answers.length >= 1, "slave.mesos");
  });

  it("resolves a task once RUNNING and forgets it when killed", async () => {
    const [offer] = await fw.waitForOffers();
    const task = builders.taskFor(offer!, {
      id: "web.e2e-1",
      resources: "cpus:0.1;mem:32;ports:[31001-31001]",
      discovery: {
        visibility: "FRAMEWORK",
        name: "web",
        ports: { ports: [{ number: 31001, name: "http", protocol: "tcp", labels: { labels: [{ key: "VIP_0", value: "/web:80" }] } }] },
      },
    } as never);
    await fw.launch(offer!, [task]);
    await fw.waitForTaskState("web.e2e-1", "TASK_RUNNING");
    await until(async () => (await dig(port, "web.marathon.mesos")).answers.length === 1, "web.marathon.mesos to resolve");
    const srv = await dig(port, "_http._web._tcp.marathon.mesos", "SRV");
    expect(srv.answers[0]!.data).toMatch(/^0 1 31001 web-[a-z0-9]{5}-[a-z0-9]+\.marathon\.mesos\.$/);
    expect((await dig(port, "web.marathon.slave.mesos")).answers).toHaveLength(1);
    const vip = await dig(port, "web.marathon.l4lb.thisdcos.directory");
    expect(vip.answers[0]!.data).toMatch(process.getuid?.() === 0 ? /^11\./ : /^127\./);
    await fw.kill("web.e2e-1");
    await until(async () => (await dig(port, "web.marathon.mesos")).status === "NXDOMAIN", "web.marathon.mesos to go away");
  });
});
