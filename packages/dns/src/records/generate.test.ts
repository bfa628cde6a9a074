import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { clusterViewFromMasterState } from "@caravel/api";
import { legacyState, type FixtureTask } from "./fixture.js";
import { generateRecords, type GenerateOptions } from "./generate.js";
import { isValidDnsName, taskHash, taskLabel, zbase32 } from "./names.js";

const options: GenerateOptions = { domain: "mesos", ttl: 60, ipSources: ["netinfo", "host"], nameserverIps: ["127.0.0.1"], masters: [], vipCidr: "11.0.0.0/8" };
const records = () => generateRecords(clusterViewFromMasterState(legacyState()), options);

describe("generateRecords", () => {
  it("names Marathon tasks as Mesos-DNS does", () => {
    const set = records();
    expect(set.names.get("api-web-prod.marathon.mesos")?.a.sort()).toEqual(["10.0.1.1", "10.0.1.2"]);
    expect(set.names.get("api-web-prod.marathon.slave.mesos")?.a.sort()).toEqual(["10.0.1.1", "10.0.1.2"]);
    const tid = taskHash("prod_web_api.11111111-aaaa");
    expect(set.names.get(`api-web-prod-${tid}-s1.marathon.mesos`)?.a).toEqual(["10.0.1.1"]);
    expect(set.names.get("_api-web-prod._tcp.marathon.mesos")?.srv).toContainEqual({ target: `api-web-prod-${tid}-s1.marathon.mesos`, port: 31000, priority: 0, weight: 1 });
    expect(set.names.get("_http._api-web-prod._tcp.marathon.mesos")?.srv.map((s) => s.port).sort()).toEqual([31000, 31002]);
    expect(set.names.get("_api-web-prod._udp.marathon.slave.mesos")?.srv.map((s) => s.port).sort()).toEqual([31000, 31001, 31002, 31003]);
  });

  it("uses the container IP first (netinfo) and the agent IP for .slave", () => {
    const set = records();
    expect(set.names.get("redis.marathon.mesos")?.a).toEqual(["172.17.0.2"]);
    expect(set.names.get("redis.marathon.slave.mesos")?.a).toEqual(["10.0.1.1"]);
    const hostFirst = generateRecords(clusterViewFromMasterState(legacyState()), { ...options, ipSources: ["host", "netinfo"] });
    expect(hostFirst.names.get("redis.marathon.mesos")?.a).toEqual(["10.0.1.1"]);
  });

  it("serves masters, agents, frameworks and the dcos-net zones", () => {
    const set = records();
    expect(set.names.get("leader.mesos")?.a).toEqual(["10.0.0.1"]);
    expect(set.names.get("master.mesos")?.a).toEqual(["10.0.0.1"]);
    expect(set.names.get("_leader._tcp.mesos")?.srv[0]).toMatchObject({ target: "leader.mesos", port: 5050 });
    expect(set.names.get("slave.mesos")?.a).toEqual(["10.0.1.1", "10.0.1.2"]);
    expect(set.names.get("marathon.mesos")?.a).toEqual(["10.0.0.1"]);
    expect(set.names.get("_framework._tcp.marathon.mesos")?.srv[0]?.port).toBe(8080);
    expect(set.names.get("spark.cluster-1.mesos")?.a).toEqual(["10.0.0.9"]);
    expect(set.names.get("exec1.spark.cluster-1.mesos")?.a).toEqual(["10.0.1.1"]);
    expect(set.names.get("redis.marathon.autoip.dcos.thisdcos.directory")?.a).toEqual(["10.0.1.1"]);
    expect(set.names.get("db.marathon.autoip.dcos.thisdcos.directory")?.a).toEqual(["9.0.0.5"]);
    expect(set.names.get("db.marathon.containerip.dcos.thisdcos.directory")?.a).toEqual(["9.0.0.5"]);
    expect(set.names.get("db.marathon.agentip.dcos.thisdcos.directory")?.a).toEqual(["10.0.1.1"]);
  });

  it("serves named VIPs with TTL 5 and skips tasks that are not running", () => {
    const set = records();
    const vip = set.names.get("prodwebapi.marathon.l4lb.thisdcos.directory");
    expect(vip?.a[0]).toMatch(/^11\./);
    expect(vip?.ttl).toBe(5);
    expect(set.names.get("redis.marathon.l4lb.thisdcos.directory")?.a).toHaveLength(1);
    expect(set.names.has("starting.marathon.mesos")).toBe(false);
    expect(set.existing.has("marathon.slave.mesos")).toBe(true);
    expect(set.enumeration.frameworks.find((f) => f.name === "marathon")?.tasks).toHaveLength(4);
  });

  it("sanitises labels and encodes z-base-32", () => {
    expect(taskLabel("apiserver.myservice")).toBe("apiserver-myservice");
    expect(taskLabel("-Web_App!")).toBe("web-app");
    expect(zbase32(new Uint8Array([0xf0, 0xbf, 0xc7]))).toBe("6n9hq");
  });

  it("property: every generated name and SRV target is a valid RFC 1123 name", () => {
    const task = fc.record({
      id: fc.string({ minLength: 1, maxLength: 40 }),
      name: fc.string({ maxLength: 80 }),
      ports: fc.constantFrom("[31000-31001]", "[]", "[1-1, 65535-65535]"),
      ip: fc.option(fc.ipV4(), { nil: undefined }),
      portName: fc.string({ maxLength: 20 }),
      vip: fc.string({ maxLength: 30 }),
    });
    fc.assert(
      fc.property(fc.array(task, { maxLength: 8 }), fc.string({ maxLength: 40 }), (tasks, fwName) => {
        const fixture: FixtureTask[] = tasks.map((t) => ({
          id: t.id,
          name: t.name,
          ports: t.ports,
          ...(t.ip ? { ip: t.ip } : {}),
          discovery: { visibility: "FRAMEWORK", name: t.name, ports: { ports: [{ number: 80, name: t.portName, labels: { labels: [{ key: "VIP_0", value: `${t.vip}:80` }] } }] } },
        }));
        const state = legacyState(fixture, { otherTasks: fixture });
        (state["frameworks"] as { name: string }[])[1]!.name = fwName;
        const set = generateRecords(clusterViewFromMasterState(state), options);
        for (const [name, entry] of set.names) {
          expect(isValidDnsName(name), name).toBe(true);
          for (const s of entry.srv) expect(isValidDnsName(s.target), s.target).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});
