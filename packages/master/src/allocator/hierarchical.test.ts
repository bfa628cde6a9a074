import { describe, expect, it } from "vitest";
import { HierarchicalAllocator } from "./hierarchical.js";
import { agent, byFramework, framework, res, totalsOf } from "./test-helpers.js";

const only = <T>(xs: T[]): T => {
  expect(xs).toHaveLength(1);
  return xs[0]!;
};

describe("HierarchicalAllocator: offers", () => {
  it("offers everything on the agent, tagged with the role", () => {
    const a = new HierarchicalAllocator();
    a.addFramework(framework("f1", ["web"]));
    a.addAgent(agent("a1"));
    const offer = only(a.allocate(0));
    expect(offer).toMatchObject({ frameworkId: "f1", agentId: "a1", role: "web" });
    expect(totalsOf(offer)).toEqual({ cpus: 4, mem: 1024, disk: 1024 });
    expect(offer.resources.every((r) => r.allocation_info?.role === "web")).toBe(true);
    expect(offer.resources.find((r) => r.name === "ports")?.ranges?.range).toEqual([{ begin: 31000, end: 32000 }]);
  });

  it("counts offered resources as allocated until they are recovered", () => {
    const a = new HierarchicalAllocator();
    a.addFramework(framework("f1"));
    a.addAgent(agent("a1"));
    const offer = only(a.allocate(0));
    expect(a.allocate(1000)).toEqual([]);
    a.recover("f1", "a1", "*", offer.resources);
    expect(totalsOf(only(a.allocate(2000)))).toEqual({ cpus: 4, mem: 1024, disk: 1024 });
  });

  it("offers only what is left next to running tasks", () => {
    const a = new HierarchicalAllocator();
    a.addFramework(framework("f1"));
    a.addAgent(agent("a1"), [{ frameworkId: "f1", role: "*", resources: res("cpus:3.5;mem:1000") }]);
    expect(totalsOf(only(a.allocate(0)))).toEqual({ cpus: 0.5, mem: 24, disk: 1024 });
    const b = new HierarchicalAllocator();
    b.addFramework(framework("f1"));
    // mem 24 and disk alone meet neither min-allocatable set (cpus 0.01 | mem 32).
    b.addAgent(agent("a1"), [{ frameworkId: "f1", role: "*", resources: res("cpus:4;mem:1000") }]);
    expect(b.allocate(0)).toEqual([]);
  });

  it("never offers GPU agents to frameworks without GPU_RESOURCES", () => {
    const a = new HierarchicalAllocator();
    a.addFramework(framework("plain"));
    a.addAgent(agent("gpu", "cpus:4;mem:1024;gpus:1"));
    a.addAgent(agent("cpu"));
    expect(a.allocate(0).map((o) => o.agentId)).toEqual(["cpu"]);
    a.addFramework(framework("ml", ["*"], ["GPU_RESOURCES"]));
    expect(only(a.allocate(1))).toMatchObject({ frameworkId: "ml", agentId: "gpu" });
  });

  it("never offers agents without cpus or mem, nor offers below min allocatable", () => {
    const a = new HierarchicalAllocator();
    a.addFramework(framework("f1"));
    a.addAgent(agent("disk-only", "disk:100000"));
    a.addAgent(agent("tiny", "cpus:0.005;mem:16;disk:10"));
    expect(a.allocate(0)).toEqual([]);
    const b = new HierarchicalAllocator({ minAllocatable: [{ cpus: 1, mem: 512 }] });
    b.addFramework(framework("f1"));
    b.addAgent(agent("small", "cpus:2;mem:256"));
    expect(b.allocate(0)).toEqual([]);
    b.updateFramework({ ...framework("f1"), minAllocatable: { "*": [{ mem: 100 }] } });
    expect(only(b.allocate(1)).agentId).toBe("small");
  });

  it("gives nothing to deactivated agents and frameworks", () => {
    const a = new HierarchicalAllocator();
    a.addFramework(framework("f1"));
    a.addAgent(agent("a1"));
    a.deactivateAgent("a1");
    expect(a.allocate(0)).toEqual([]);
    a.activateAgent("a1");
    a.deactivateFramework("f1");
    expect(a.allocate(1)).toEqual([]);
    a.activateFramework("f1");
    expect(only(a.allocate(2)).agentId).toBe("a1");
  });

  it("allocates over the given agents only", () => {
    const a = new HierarchicalAllocator();
    a.addFramework(framework("f1"));
    for (const id of ["a1", "a2", "a3"]) a.addAgent(agent(id));
    expect(a.allocate(0, ["a2", "missing"]).map((o) => o.agentId)).toEqual(["a2"]);
  });
});

describe("HierarchicalAllocator: filters, suppress and revive", () => {
  it("does not re-offer declined resources before the filter expires", () => {
    const a = new HierarchicalAllocator();
    a.addFramework(framework("f1"));
    a.addAgent(agent("a1"));
    const offer = only(a.allocate(0));
    a.recover("f1", "a1", "*", offer.resources, { refuseSeconds: 5, now: 0 });
    expect(a.allocate(4999)).toEqual([]);
    expect(only(a.allocate(5000)).agentId).toBe("a1");
  });

  it("stretches short filters to the allocation interval and ignores refuse_seconds 0", () => {
    const a = new HierarchicalAllocator();
    a.addFramework(framework("f1"));
    a.addAgent(agent("a1"));
    a.recover("f1", "a1", "*", only(a.allocate(0)).resources, { refuseSeconds: 0.1, now: 0 });
    expect(a.allocate(500)).toEqual([]);
    a.recover("f1", "a1", "*", only(a.allocate(1000)).resources, { refuseSeconds: 0, now: 1000 });
    expect(a.allocate(1001)).toHaveLength(1);
  });

  it("filters only offers that are a subset of the refused resources", () => {
    const a = new HierarchicalAllocator();
    a.addFramework(framework("f1"));
    a.addAgent(agent("a1", "cpus:8;mem:2048"));
    only(a.allocate(0));
    // Half comes back with a long filter: that half alone is not re-offered...
    a.recover("f1", "a1", "*", res("cpus:4;mem:1024"), { refuseSeconds: 3600, now: 0 });
    expect(a.allocate(1000)).toEqual([]);
    // ...but once the rest comes back, the whole agent is more than was refused.
    a.recover("f1", "a1", "*", res("cpus:4;mem:1024"));
    expect(totalsOf(only(a.allocate(2000)))).toEqual({ cpus: 8, mem: 2048 });
  });

  it("offers filtered resources to other frameworks", () => {
    const a = new HierarchicalAllocator();
    a.addFramework(framework("f1"));
    a.addFramework(framework("f2"));
    a.addAgent(agent("a1"));
    const first = only(a.allocate(0));
    a.recover(first.frameworkId, "a1", "*", first.resources, { refuseSeconds: 60, now: 0 });
    expect(only(a.allocate(1000)).frameworkId).not.toBe(first.frameworkId);
  });

  it("suppress stops offers; revive resumes them and clears filters", () => {
    const a = new HierarchicalAllocator();
    a.addFramework(framework("f1", ["a", "b"], ["MULTI_ROLE"]));
    a.addAgent(agent("x"));
    a.suppress("f1", ["a"]);
    const offer = only(a.allocate(0));
    expect(offer.role).toBe("b");
    a.suppress("f1");
    a.recover("f1", "x", "b", offer.resources, { refuseSeconds: 3600, now: 0 });
    expect(a.allocate(1000)).toEqual([]);
    a.revive("f1", ["b"]);
    expect(only(a.allocate(2000)).role).toBe("b");
  });
});

describe("HierarchicalAllocator: fairness", () => {
  it("spreads agents evenly between frameworks of one role", () => {
    const a = new HierarchicalAllocator();
    for (const id of ["f1", "f2", "f3"]) a.addFramework(framework(id));
    for (let i = 0; i < 6; i++) a.addAgent(agent(`a${i}`));
    const counts = [...byFramework(a.allocate(0)).values()].map((t) => t.cpus);
    expect(counts).toEqual([8, 8, 8]);
  });

  it("shares between roles by weight, then between a role's frameworks", () => {
    const a = new HierarchicalAllocator();
    a.setWeights({ heavy: 3 });
    a.addFramework(framework("h1", ["heavy"]));
    a.addFramework(framework("h2", ["heavy"]));
    a.addFramework(framework("l1", ["light"]));
    for (let i = 0; i < 8; i++) a.addAgent(agent(`a${i}`));
    const got = byFramework(a.allocate(0));
    expect((got.get("h1")?.cpus ?? 0) + (got.get("h2")?.cpus ?? 0)).toBe(24);
    expect(got.get("h1")?.cpus).toBe(12);
    expect(got.get("l1")?.cpus).toBe(8);
  });

  it("treats a subrole's allocation as its parent's", () => {
    const a = new HierarchicalAllocator();
    a.addFramework(framework("web", ["eng/web"]));
    a.addFramework(framework("db", ["eng/db"]));
    a.addFramework(framework("ops", ["ops"]));
    for (let i = 0; i < 4; i++) a.addAgent(agent(`a${i}`));
    const got = byFramework(a.allocate(0));
    // eng (web + db together) and ops split the cluster evenly.
    expect(got.get("ops")?.cpus).toBe(8);
    expect((got.get("web")?.cpus ?? 0) + (got.get("db")?.cpus ?? 0)).toBe(8);
  });
});

describe("HierarchicalAllocator: reservations", () => {
  it("offers reserved resources only to their role and its subroles", () => {
    const a = new HierarchicalAllocator();
    a.addAgent(agent("a1", "cpus(eng):2;mem(eng):512;cpus:2;mem:512"));
    a.addFramework(framework("ops", ["ops"]));
    const opsOffer = only(a.allocate(0));
    expect(opsOffer.resources.every((r) => r.role === "*")).toBe(true);
    a.addFramework(framework("web", ["eng/web"]));
    a.recover("ops", "a1", "ops", opsOffer.resources, { refuseSeconds: 3600, now: 0 });
    const webOffer = only(a.allocate(1000));
    expect(webOffer.frameworkId).toBe("web");
    expect(totalsOf(webOffer)).toEqual({ cpus: 4, mem: 1024 });
  });

  it("follows dynamic reservations made with updateAllocation", () => {
    const a = new HierarchicalAllocator();
    a.addFramework(framework("f1", ["eng"]));
    a.addFramework(framework("f2", ["ops"]));
    a.addAgent(agent("a1", "cpus:4;mem:1024"));
    const offer = only(a.allocate(0));
    const reserved = res("cpus(eng):4;mem(eng):1024").map((r) => ({ ...r, reservation: { principal: "p" } }));
    a.updateAllocation(offer.frameworkId, "a1", offer.role, offer.resources, reserved);
    expect(a.roles().find((r) => r.name === "eng")?.reserved).toEqual({ cpus: 4, mem: 1024 });
    a.recover(offer.frameworkId, "a1", offer.role, reserved);
    a.suppress("f1");
    expect(a.allocate(1000)).toEqual([]); // ops may not use eng's reservation
    a.revive("f1");
    expect(only(a.allocate(2000)).frameworkId).toBe("f1");
  });
});

describe("HierarchicalAllocator: quota", () => {
  it("caps unreserved scalars at the role's limit", () => {
    const a = new HierarchicalAllocator();
    a.setQuota("capped", { limits: { cpus: 6 } });
    a.addFramework(framework("f1", ["capped"]));
    for (let i = 0; i < 3; i++) a.addAgent(agent(`a${i}`));
    const got = byFramework(a.allocate(0)).get("f1");
    expect(got?.cpus).toBe(6);
    expect(a.roles().find((r) => r.name === "capped")?.quota?.consumed.cpus).toBe(6);
  });

  it("keeps headroom for unmet guarantees, even while the guaranteed role is idle", () => {
    const a = new HierarchicalAllocator();
    a.setQuota("prod", { guarantees: { cpus: 8 } });
    a.addFramework(framework("p", ["prod"]));
    a.suppress("p");
    a.addFramework(framework("d", ["dev"]));
    for (let i = 0; i < 4; i++) a.addAgent(agent(`a${i}`));
    expect(byFramework(a.allocate(0)).get("d")?.cpus).toBe(8);
    a.revive("p");
    expect(byFramework(a.allocate(1000)).get("p")?.cpus).toBe(8);
  });

  it("serves guarantees first (stage 1), within the headroom other guarantees need", () => {
    const a = new HierarchicalAllocator();
    a.setQuota("zeta", { guarantees: { cpus: 2 } });
    a.setQuota("idle", { guarantees: { cpus: 5 } });
    a.addFramework(framework("i", ["idle"]));
    a.suppress("i");
    a.addFramework(framework("z", ["zeta"]));
    a.addFramework(framework("a", ["alpha"])); // sorts first by name, but has no guarantee
    a.addAgent(agent("only", "cpus:8;mem:1024"));
    const z = only(a.allocate(0));
    // zeta's 2 plus the 1 cpu of surplus over the 7 both guarantees need.
    expect(z.frameworkId).toBe("z");
    expect(totalsOf(z)).toEqual({ cpus: 3, mem: 1024 });
  });
});

describe("HierarchicalAllocator: lifecycle", () => {
  it("releases a removed framework's resources to others", () => {
    const a = new HierarchicalAllocator();
    a.addFramework(framework("f1"));
    a.addAgent(agent("a1"));
    expect(only(a.allocate(0)).frameworkId).toBe("f1");
    a.addFramework(framework("f2"));
    a.removeFramework("f1");
    expect(only(a.allocate(1000)).frameworkId).toBe("f2");
  });

  it("counts an agent's tasks for a framework added later exactly once", () => {
    const a = new HierarchicalAllocator();
    a.addAgent(agent("a1", "cpus:4;mem:1024"), [{ frameworkId: "late", role: "r", resources: res("cpus:1;mem:128") }]);
    a.addFramework(framework("late", ["r"]), [{ agentId: "a1", role: "r", resources: res("cpus:1;mem:128") }]);
    expect(a.roles().find((r) => r.name === "r")?.allocated).toEqual({ cpus: 1, mem: 128 });
    expect(totalsOf(only(a.allocate(0)))).toEqual({ cpus: 3, mem: 896 });
  });

  it("recomputes availability when an agent's total changes, and forgets removed agents", () => {
    const a = new HierarchicalAllocator();
    a.addFramework(framework("f1"));
    a.addAgent(agent("a1", "cpus:4;mem:1024"), [{ frameworkId: "f1", role: "*", resources: res("cpus:1;mem:100") }]);
    a.updateAgentTotal("a1", res("cpus:8;mem:1024"));
    expect(totalsOf(only(a.allocate(0)))).toEqual({ cpus: 7, mem: 924 });
    a.removeAgent("a1");
    expect(a.metrics()).toMatchObject({ agents: 0, total: {}, allocated: {} });
    expect(a.roles().find((r) => r.name === "*")?.allocated).toEqual({});
  });

  it("skips agents that nothing can change, until something does", () => {
    const a = new HierarchicalAllocator();
    a.addFramework(framework("f1"));
    for (let i = 0; i < 3; i++) a.addAgent(agent(`a${i}`));
    for (const o of a.allocate(0)) a.recover("f1", o.agentId, "*", o.resources, { refuseSeconds: 10, now: 0 });
    expect(a.allocate(1000)).toEqual([]);
    expect(a.allocate(2000)).toEqual([]);
    expect(a.metrics().lastSkippedAgents).toBe(3);
    a.addFramework(framework("f2"));
    expect(a.allocate(3000)).toHaveLength(3);
    expect(a.allocate(10_000)).toEqual([]); // f2 holds everything now
  });

  it("reports roles and metrics", () => {
    const a = new HierarchicalAllocator();
    a.setWeights({ "eng/web": 2 });
    a.addFramework(framework("f1", ["eng/web"]));
    a.addAgent(agent("a1"));
    a.allocate(0);
    a.recordRunDuration(1.5);
    const roles = a.roles();
    expect(roles.map((r) => r.name)).toEqual(["eng", "eng/web"]);
    expect(roles[1]).toMatchObject({ weight: 2, frameworks: ["f1"], allocated: { cpus: 4, mem: 1024, disk: 1024 } });
    expect(roles[0]!.allocated.cpus).toBe(4);
    expect(a.metrics()).toMatchObject({ allocationRuns: 1, lastRunMs: 1.5, lastOffers: 1, agents: 1, frameworks: 1, activeFrameworks: 1 });
  });

  it("works with the random sorter", () => {
    const a = new HierarchicalAllocator({ sorter: "random", random: () => 0.42 });
    for (const id of ["f1", "f2"]) a.addFramework(framework(id));
    for (let i = 0; i < 4; i++) a.addAgent(agent(`a${i}`));
    const offers = a.allocate(0);
    expect(offers).toHaveLength(4);
    expect(new Set(offers.map((o) => o.agentId)).size).toBe(4);
  });

  it("treats a negative refuse_seconds as Mesos' default of 5 s", () => {
    const a = new HierarchicalAllocator();
    a.addFramework(framework("f1"));
    a.addAgent(agent("a1"));
    a.recover("f1", "a1", "*", only(a.allocate(0)).resources, { refuseSeconds: -1, now: 0 });
    expect(a.allocate(4999)).toEqual([]);
    expect(a.allocate(5000)).toHaveLength(1);
  });

  it("ignores what it does not know and clamps what is given back to what is held", () => {
    const a = new HierarchicalAllocator();
    a.addFramework(framework("f1"));
    a.addAgent(agent("a1", "cpus:4;mem:1024"));
    a.recover("f1", "nowhere", "*", res("cpus:1"));
    a.recover("ghost", "a1", "*", res("cpus:1"), { refuseSeconds: 10, now: 0 });
    only(a.allocate(0));
    a.recover("f1", "a1", "*", res("cpus:100;mem:1024"));
    expect(totalsOf(only(a.allocate(1000)))).toEqual({ cpus: 4, mem: 1024 });
    expect(() => a.updateAllocation("f1", "a1", "*", res("cpus:50"), res("cpus(x):50"))).toThrow(/does not hold/);
    a.removeFramework("ghost");
    a.removeAgent("nowhere");
  });

  it("forgets held-aside allocations of a framework that never comes back", () => {
    const a = new HierarchicalAllocator();
    a.addAgent(agent("a1", "cpus:4;mem:1024"), [{ frameworkId: "gone", role: "r", resources: res("cpus:3;mem:512") }]);
    a.addFramework(framework("f1"));
    expect(totalsOf(only(a.allocate(0)))).toEqual({ cpus: 1, mem: 512 });
    a.removeFramework("gone");
    a.removeAgent("a1");
    a.addAgent(agent("a2", "cpus:4;mem:1024"), [{ frameworkId: "gone2", role: "r", resources: res("cpus:3;mem:512") }]);
    a.removeFramework("gone2");
    expect(totalsOf(only(a.allocate(1000)))).toEqual({ cpus: 4, mem: 1024 });
  });

  it("lets a role and its subrole both hold frameworks", () => {
    const a = new HierarchicalAllocator();
    a.addFramework(framework("eng", ["eng"]));
    a.addFramework(framework("web", ["eng/web"]));
    a.addFramework(framework("ops", ["ops"]));
    for (let i = 0; i < 8; i++) a.addAgent(agent(`a${i}`));
    const got = byFramework(a.allocate(0));
    expect(got.get("ops")?.cpus).toBe(16);
    expect(got.get("eng")?.cpus).toBe(8);
    expect(got.get("web")?.cpus).toBe(8);
  });
});
