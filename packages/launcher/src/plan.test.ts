import { describe, expect, it } from "vitest";
import { COMPONENTS } from "./components.js";
import { levels, planCluster, portKeys, type PlanInput } from "./plan.js";
import { formatTable } from "./table.js";

const base: PlanInput = {
  components: COMPONENTS,
  shape: { agents: 2, publicAgents: 1 },
  home: "/h",
  root: "/repo",
  host: "127.0.0.1",
  containerizers: "mesos,docker",
  machine: { cpus: 2, memMb: 24 * 1024, diskMb: 50 * 1024 },
  available: () => true,
};

describe("planCluster", () => {
  it("plans the default local cluster with Mesos-style flags", () => {
    const plan = planCluster({ ...base, available: (bin) => !bin.includes("marathon") && !bin.includes("universe") });
    expect(plan.instances.map((i) => `${i.name}:${i.port}`)).toEqual([
      "master:5050",
      "agent-1:5051",
      "agent-2:5052",
      "public-agent-1:5053",
      "dns:8123",
      "l4lb:62080",
      "admin-router:8000",
    ]);
    expect(plan.skipped.map((s) => s.name)).toEqual(["marathon", "universe"]);
    const master = plan.instances[0]!;
    expect(master.args).toEqual(["--ip", "127.0.0.1", "--port", "5050", "--work_dir", "/h/local/master"]);
    expect(master.logFile).toBe("/h/local/logs/master.log");
    expect(master.bin).toBe("/repo/packages/master/dist/main.js");
    const pub = plan.instances.find((i) => i.name === "public-agent-1")!;
    expect(pub.args.join(" ")).toBe(
      "--master 127.0.0.1:5050 --ip 127.0.0.1 --port 5053 --work_dir /h/local/public-agent-1 " +
        "--resources cpus(slave_public):0.666;mem(slave_public):7850;disk(slave_public):15360;ports(slave_public):[31666-32000] " +
        "--containerizers mesos,docker --cleanup_on_exit " +
        "--default_role slave_public --attributes public_ip:true",
    );
    expect(pub.after).toEqual(["master"]);
    const dns = plan.instances.find((i) => i.name === "dns")!;
    expect(dns.args).toEqual(["--master", "http://127.0.0.1:5050", "--listen", "127.0.0.1", "--port", "8053", "--http_port", "8123"]);
    expect(dns.healthUrl).toBe("http://127.0.0.1:8123/health");
  });

  it("gives each agent a disjoint port range", () => {
    const plan = planCluster(base);
    const ranges = plan.ctx.agents.map((a) => /ports(?:\([^)]*\))?:\[(\d+)-(\d+)\]/.exec(plan.ctx.resources(a))!.slice(1).map(Number));
    expect(ranges).toEqual([
      [31000, 31332],
      [31333, 31665],
      [31666, 32000],
    ]);
  });

  it("uses chosen ports everywhere a port appears", () => {
    const first = planCluster(base);
    const keys = portKeys(first);
    expect(keys).toContain("dns:dns");
    const ports = new Map(keys.map((k, i) => [k, 40000 + i]));
    const plan = planCluster({ ...base, ports });
    const master = plan.instances[0]!;
    expect(master.port).toBe(40000);
    expect(plan.instances[1]!.args.slice(0, 2)).toEqual(["--master", "127.0.0.1:40000"]);
    expect(plan.instances.find((i) => i.name === "universe")!.args).toContain(`http://127.0.0.1:${ports.get("marathon")}`);
  });

  it("orders start levels by dependency", () => {
    const plan = planCluster(base);
    expect(levels(plan.instances).map((l) => l.map((i) => i.name))).toEqual([
      ["master"],
      ["agent-1", "agent-2", "public-agent-1", "marathon", "dns", "l4lb", "admin-router"],
      ["universe"],
    ]);
  });

  it("starts only the chosen entries, and names unknown ones", () => {
    const plan = planCluster({ ...base, only: new Set(["master", "agent"]) });
    expect(plan.instances.map((i) => i.name)).toEqual(["master", "agent-1", "agent-2"]);
    expect(plan.skipped.find((s) => s.name === "marathon")?.reason).toBe("not in --only");
    expect(() => planCluster({ ...base, only: new Set(["mastr"]) })).toThrow(/unknown component\(s\) mastr; known: zk, master, agent/);
  });

  it("--ha: a 3-node ZooKeeper ensemble, 3 masters electing through it, agents detecting the leader", () => {
    const plan = planCluster({ ...base, shape: { agents: 2, publicAgents: 0, ha: true }, only: new Set(["zk", "master", "agent", "marathon"]) });
    const names = plan.instances.map((i) => i.name);
    expect(names).toEqual(["zk-1", "zk-2", "zk-3", "master-1", "master-2", "master-3", "agent-1", "agent-2", "marathon"]);
    const zk = "zk://127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183/mesos";
    const byName = new Map(plan.instances.map((i) => [i.name, i]));
    expect(byName.get("master-2")!.port).toBe(5060);
    expect(byName.get("master-3")!.args).toEqual(expect.arrayContaining(["--zk", zk, "--quorum", "2", "--port", "5070"]));
    expect(byName.get("agent-1")!.args.slice(0, 2)).toEqual(["--master", zk]);
    expect(byName.get("marathon")!.args).toContain("http://127.0.0.1:5050,http://127.0.0.1:5060,http://127.0.0.1:5070");
    const zk2 = byName.get("zk-2")!;
    expect(zk2.healthUrl).toBe("zk-srvr://127.0.0.1:2182");
    expect(zk2.files["data/myid"]).toBe("2");
    expect(zk2.files["zoo.cfg"]).toContain("server.3=127.0.0.1:2890:3890");
    expect(zk2.files["zoo.cfg"]).toContain("clientPort=2182");
    expect(levels(plan.instances).map((l) => l.map((i) => i.name))[0]).toEqual(["zk-1", "zk-2", "zk-3"]);
  });

  it("start --role: one machine's master or agent pointed at an existing ensemble", () => {
    const zk = "zk://10.0.0.1:2181,10.0.0.2:2181,10.0.0.3:2181/mesos";
    const master = planCluster({ ...base, host: "10.0.0.2", zk, quorum: 2, only: new Set(["master"]) });
    expect(master.instances.map((i) => i.name)).toEqual(["master"]);
    expect(master.instances[0]!.args).toEqual(expect.arrayContaining(["--ip", "10.0.0.2", "--zk", zk, "--quorum", "2"]));
    const agent = planCluster({ ...base, host: "10.0.0.4", zk, shape: { agents: 1, publicAgents: 0 }, only: new Set(["agent"]) });
    expect(agent.instances.map((i) => [i.name, i.args.slice(0, 4)])).toEqual([["agent-1", ["--master", zk, "--ip", "10.0.0.4"]]]);
  });

  it("gives the services their own ZooKeeper nodes beside the masters' election", () => {
    const zk = "zk://10.0.0.1:2181,10.0.0.2:2181/mesos";
    const plan = planCluster({ ...base, host: "10.0.0.2", zk, only: new Set(["master", "marathon", "dns", "l4lb", "universe", "admin-router"]) });
    const argsOf = (name: string) => plan.instances.find((i) => i.name === name)!.args;
    expect(argsOf("marathon")).toEqual(expect.arrayContaining(["--zk", "zk://10.0.0.1:2181,10.0.0.2:2181/marathon"]));
    expect(argsOf("universe")).toEqual(expect.arrayContaining(["--zk", "zk://10.0.0.1:2181,10.0.0.2:2181/universe"]));
    expect(argsOf("admin-router")).toEqual(expect.arrayContaining(["--master", zk, "--zk", "zk://10.0.0.1:2181,10.0.0.2:2181/caravel"]));
    // Every service binds the machine's address (not loopback) and finds the leading master through the election.
    for (const name of ["marathon", "universe", "admin-router"]) expect(argsOf(name)).toEqual(expect.arrayContaining(["--ip", "10.0.0.2"]));
    for (const name of ["dns", "l4lb"]) expect(argsOf(name)).toEqual(expect.arrayContaining(["--listen", "10.0.0.2"]));
    expect(argsOf("dns").slice(0, 2)).toEqual(["--master", zk]);
    expect(argsOf("l4lb").slice(0, 2)).toEqual(["--master", zk]);
  });

  it("with a DNS address, caravel-dns answers on it and agents hand it to their tasks", () => {
    const plan = planCluster({ ...base, dnsIp: "198.51.100.1" });
    expect(plan.instances.find((i) => i.name === "dns")!.args).toEqual(expect.arrayContaining(["--dummy_ip", "198.51.100.1"]));
    for (const agent of plan.instances.filter((i) => i.spec.agent)) expect(agent.args).toEqual(expect.arrayContaining(["--dns_server", "198.51.100.1"]));
    expect(planCluster(base).instances.find((i) => i.name === "dns")!.args).not.toContain("--dummy_ip");
  });

  it("drops dependencies on entries that are not built", () => {
    const plan = planCluster({ ...base, available: (bin) => !bin.includes("marathon") });
    expect(plan.instances.find((i) => i.name === "universe")!.after).toEqual([]);
  });
});

describe("formatTable", () => {
  it("aligns columns", () => {
    expect(formatTable([["A", "BB"], ["ccc", "d"]])).toBe("A    BB\nccc  d");
  });
});
