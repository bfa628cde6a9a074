import { createSocket } from "node:dgram";
import dnsPacket from "dns-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clusterViewFromMasterState } from "@caravel/api";
import { silentLogger } from "@caravel/runtime";
import { DnsConfig } from "./config.js";
import { legacyState, legacyTask } from "./records/fixture.js";
import { createServer, type DnsServer } from "./server.js";
import { dig, until } from "./testing/dig.js";
import { startFakeMaster, type FakeMaster } from "./testing/fake-master.js";

const config = (extra: Record<string, unknown>) => DnsConfig.parse({ port: 0, http_port: 0, resolvers: "127.0.0.1:9", timeout: 0.5, vip_cidr: "11.0.0.0/8", ...extra });

describe("caravel-dns against a master", () => {
  let master: FakeMaster;
  let follower: FakeMaster;
  let upstream: DnsServer;
  let server: DnsServer;
  let port: number;
  let upstreamPort: number;
  let http: string;

  beforeAll(async () => {
    master = await startFakeMaster(legacyState());
    follower = await startFakeMaster({});
    follower.redirectTo(master.url); // a non-leading master: 307 to the leader
    upstream = createServer({ config: config({ domain: "corp", authoritative_only: true }), log: silentLogger(), noMaster: true });
    const up = await upstream.listen();
    upstreamPort = up.dnsPort;
    upstream.update(clusterViewFromMasterState(legacyState()));
    // The first resolver is dead, the second answers: failover.
    server = createServer({ config: config({ master: follower.url, resolvers: `127.0.0.1:9,127.0.0.1:${up.dnsPort}` }), log: silentLogger() });
    const s = await server.listen();
    port = s.dnsPort;
    http = s.httpUrl;
    await until(async () => (await fetch(`${http}/health`)).ok, "first sync");
  });
  afterAll(async () => {
    await server?.close();
    await upstream?.close();
    await master?.close();
    await follower?.close();
  });

  it("answers A, SRV (with additionals), SOA and NS", async () => {
    const a = await dig(port, "api-web-prod.marathon.mesos");
    expect(a.status).toBe("NOERROR");
    expect(a.flags).toContain("aa");
    expect(a.answers.map((r) => r.data).sort()).toEqual(["10.0.1.1", "10.0.1.2"]);
    expect(a.answers[0]!.ttl).toBe(60);
    const srv = await dig(port, "_http._api-web-prod._tcp.marathon.mesos", "SRV");
    expect(srv.answers.map((r) => r.data.split(" ")[2]).sort()).toEqual(["31000", "31002"]);
    expect(srv.additional.length).toBe(2);
    expect((await dig(port, "leader.mesos")).answers[0]!.data).toBe("10.0.0.1");
    expect((await dig(port, "mesos", "SOA")).answers[0]!.data).toMatch(/^ns1\.mesos\. root\.ns1\.mesos\. \d+ 60 600 86400 60$/);
    expect((await dig(port, "mesos", "NS")).answers[0]!.data).toBe("ns1.mesos.");
    const vip = await dig(port, "prodwebapi.marathon.l4lb.thisdcos.directory");
    expect(vip.answers[0]).toMatchObject({ ttl: 5 });
    expect(vip.answers[0]!.data).toMatch(/^11\./);
    expect((await dig(port, "redis.marathon.autoip.dcos.thisdcos.directory")).answers[0]!.data).toBe("10.0.1.1");
    expect((await dig(port, "API-WEB-PROD.Marathon.MESOS", "A", ["+tcp"])).answers).toHaveLength(2);
  });

  it("tells NXDOMAIN from NODATA", async () => {
    const nx = await dig(port, "nope.marathon.mesos");
    expect(nx.status).toBe("NXDOMAIN");
    expect(nx.authority[0]?.type).toBe("SOA");
    const nodata = await dig(port, "leader.mesos", "AAAA");
    expect(nodata.status).toBe("NOERROR");
    expect(nodata.answers).toHaveLength(0);
    expect(nodata.authority[0]?.type).toBe("SOA");
    expect((await dig(port, "marathon.slave.mesos")).status).toBe("NOERROR"); // empty non-terminal
  });

  it("resolves a task right after TASK_RUNNING and stops when it ends", async () => {
    const task = legacyTask({ id: "late.1", name: "late", state: "TASK_STAGING", ports: "[31050-31050]" });
    master.emit({ type: "TASK_ADDED", task_added: { task: { ...task, task_id: { value: "late.1" }, framework_id: { value: "fw-marathon" }, agent_id: { value: "a1b2-S1" } } } });
    expect((await dig(port, "late.marathon.mesos")).status).toBe("NXDOMAIN");
    master.emit({
      type: "TASK_UPDATED",
      task_updated: { framework_id: { value: "fw-marathon" }, state: "TASK_RUNNING", status: { task_id: { value: "late.1" }, state: "TASK_RUNNING", container_status: { network_infos: [{ ip_addresses: [{ ip_address: "10.0.1.1" }] }] } } },
    });
    await until(async () => (await dig(port, "late.marathon.mesos")).answers.length === 1, "late.marathon.mesos to resolve");
    master.emit({ type: "TASK_UPDATED", task_updated: { framework_id: { value: "fw-marathon" }, state: "TASK_KILLED", status: { task_id: { value: "late.1" }, state: "TASK_KILLED" } } });
    await until(async () => (await dig(port, "late.marathon.mesos")).status === "NXDOMAIN", "late.marathon.mesos to go away");
  });

  it("re-subscribes after the stream ends (master failover) and keeps the last records meanwhile", async () => {
    master.dropSubscribers();
    expect((await dig(port, "leader.mesos")).answers[0]!.data).toBe("10.0.0.1");
    await until(() => master.subscribers() > 0, "a new subscription");
    const task = legacyTask({ id: "after.1", name: "after", ports: "[31060-31060]" });
    master.emit({ type: "TASK_ADDED", task_added: { task: { ...task, task_id: { value: "after.1" }, framework_id: { value: "fw-marathon" }, agent_id: { value: "a1b2-S1" } } } });
    await until(async () => (await dig(port, "after.marathon.mesos")).answers.length === 1, "after.marathon.mesos to resolve");
  });

  it("forwards other names with failover", async () => {
    const forwarded = await dig(port, "leader.corp");
    expect(forwarded.status).toBe("NOERROR");
    expect(forwarded.answers[0]!.data).toBe("10.0.0.1");
    expect((await dig(port, "leader.corp", "A", ["+tcp"])).answers[0]!.data).toBe("10.0.0.1");
  });

  it("forwards hundreds of concurrent queries, each answer carrying its client's ID", async () => {
    const socket = createSocket("udp4");
    const answers = new Map<number, string>();
    socket.on("message", (msg) => {
      const p = dnsPacket.decode(msg);
      // A SERVFAIL (the 0.5 s upstream timeout expiring on a loaded host) counts as lost and is re-asked.
      if (((p.flags ?? 0) & 0xf) === 2) return;
      answers.set(p.id!, String((p.answers?.[0] as { data?: unknown } | undefined)?.data ?? ""));
    });
    await new Promise<void>((r) => socket.bind(0, "127.0.0.1", () => r()));
    const send = (id: number) => socket.send(dnsPacket.encode({ type: "query", id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: "A", name: "leader.corp" }] }), port, "127.0.0.1");
    for (let id = 1; id <= 300; id++) send(id);
    // Like any stub resolver, re-ask what got lost (UDP on a loaded host may drop a datagram).
    let round = 0;
    await until(() => {
      if (++round % 40 === 0) for (let id = 1; id <= 300; id++) if (!answers.has(id)) send(id);
      return answers.size === 300;
    }, "300 forwarded answers", 30_000);
    socket.close();
    expect([...answers.values()].every((ip) => ip === "10.0.0.1")).toBe(true);
  });

  it("refuses other names when authoritative-only", async () => {
    expect((await dig(upstreamPort, "example.com")).status).toBe("REFUSED");
    expect((await dig(upstreamPort, "leader.corp")).status).toBe("NOERROR");
  });

  it("truncates big UDP answers unless EDNS0 allows them, and TCP carries them whole", async () => {
    const many = Array.from({ length: 60 }, (_, i) => ({ id: `big.${i}`, name: "big", ip: `10.9.${Math.floor(i / 200)}.${(i % 200) + 1}` }));
    upstream.update(clusterViewFromMasterState(legacyState(many)));
    await until(() => upstream.records().names.get("big.marathon.corp")?.a.length === 60, "big records");
    const udp = await dig(upstreamPort, "big.marathon.corp", "A", ["+noedns", "+ignore"]);
    expect(udp.flags).toContain("tc");
    const edns = await dig(upstreamPort, "big.marathon.corp", "A", ["+bufsize=4096", "+ignore"]);
    expect(edns.flags).not.toContain("tc");
    expect(edns.answers).toHaveLength(60);
    const tcp = await dig(upstreamPort, "big.marathon.corp", "A", ["+tcp", "+noedns"]);
    expect(tcp.answers).toHaveLength(60);
  });

  it("serves Mesos-DNS's HTTP API", async () => {
    const get = async (path: string) => (await fetch(`${http}${path}`)).json();
    expect(((await get("/v1/hosts/api-web-prod.marathon.mesos")) as { ip: string }[]).map((h) => h.ip).sort()).toEqual(["10.0.1.1", "10.0.1.2"]);
    expect(await get("/v1/hosts/nope.mesos")).toEqual([{ host: "", ip: "" }]);
    const services = (await get("/v1/services/_http._api-web-prod._tcp.marathon.mesos")) as { port: string; ip: string; host: string }[];
    expect(services.map((s) => s.port).sort()).toEqual(["31000", "31002"]);
    expect(services[0]!.host).toMatch(/\.marathon\.mesos\.$/);
    expect(await get("/v1/services/_nope._tcp.marathon.mesos")).toEqual([{ service: "", host: "", ip: "", port: "" }]);
    expect(await get("/v1/version")).toMatchObject({ Service: "Mesos-DNS" });
    expect(await get("/v1/config")).toMatchObject({ Domain: "mesos", TTL: 60, IPSources: ["netinfo", "host"] });
    const e = (await get("/v1/enumerate")) as { frameworks: { name: string; tasks: unknown[] }[] };
    expect(e.frameworks.find((f) => f.name === "marathon")?.tasks.length).toBeGreaterThan(0);
    expect((await fetch(`${http}/v1/hosts/a%20b`)).status).toBe(400);
    expect(await (await fetch(`${http}/metrics`)).text()).toContain("caravel_dns_dns_queries");
  });
});
