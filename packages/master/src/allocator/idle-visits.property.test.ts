/**
 * The shortcuts of a cycle — skipping agents that everyone was refused on, and showing such an
 * agent only the one client that is new since (a framework added, revived or updated) — must not
 * change a single allocation. Two allocators get the same random cluster and the same random
 * events; one visits every agent fully every cycle (`fullVisits`), and every cycle's allocations
 * must come out identical, in the same order (one of them hands them out one by one through
 * `allocateEach`, as the master does).
 */
import type { Resource } from "@caravel/api";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HierarchicalAllocator } from "./hierarchical.js";
import { seededRandom } from "./random.js";
import { res } from "./test-helpers.js";
import type { Allocation, AllocatorFramework } from "./types.js";

const ROLES = ["a", "b", "a/x"];

const agentArb = fc.record({
  cpus: fc.integer({ min: 1, max: 8 }),
  mem: fc.integer({ min: 16, max: 2048 }),
  reservedRole: fc.option(fc.constantFrom(...ROLES), { nil: undefined }),
  gpus: fc.boolean(),
});

const fwArb = fc.record({
  roles: fc.uniqueArray(fc.constantFrom(...ROLES), { minLength: 1, maxLength: 2 }),
  gpu: fc.boolean(),
  minMem: fc.option(fc.constantFrom(64, 512, 4096), { nil: undefined }),
});

const opArb = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant("allocate" as const), dt: fc.integer({ min: 0, max: 3000 }) }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant("decline" as const), pick: fc.nat(), refuse: fc.constantFrom(-1, 0, 1, 5, 3600), part: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("add" as const), fw: fwArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("remove" as const), fw: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("update" as const), fw: fc.nat(), spec: fwArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("suppress" as const), fw: fc.nat(), role: fc.option(fc.constantFrom(...ROLES), { nil: undefined }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("revive" as const), fw: fc.nat(), role: fc.option(fc.constantFrom(...ROLES), { nil: undefined }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("fwActive" as const), fw: fc.nat(), active: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("agentActive" as const), agent: fc.nat(), active: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("quota" as const), limit: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }) }) },
);

type FwSpec = { roles: string[]; gpu: boolean; minMem: number | undefined };

const frameworkOf = (id: string, f: FwSpec): AllocatorFramework => ({
  id,
  roles: f.roles,
  capabilities: f.gpu ? ["GPU_RESOURCES", "MULTI_ROLE"] : ["MULTI_ROLE"],
  ...(f.minMem !== undefined ? { minAllocatable: Object.fromEntries(f.roles.map((r) => [r, [{ mem: f.minMem! }]])) } : {}),
});

/** A comparable picture of a cycle's allocations (resource objects may differ in identity). */
const picture = (allocations: Allocation[]) => allocations.map((a) => ({ fw: a.frameworkId, agent: a.agentId, role: a.role, resources: JSON.stringify(a.resources) }));

describe("idle-agent shortcuts", () => {
  it("allocate exactly what full visits of every agent allocate", () => {
    fc.assert(
      fc.property(fc.array(agentArb, { minLength: 1, maxLength: 8 }), fc.array(fwArb, { maxLength: 3 }), fc.array(opArb, { maxLength: 60 }), fc.integer(), (agents, fws, ops, seed) => {
        const fast = new HierarchicalAllocator({ random: seededRandom(seed) });
        const full = new HierarchicalAllocator({ random: seededRandom(seed), fullVisits: true });
        const both = (fn: (a: HierarchicalAllocator) => void): void => {
          fn(fast);
          fn(full);
        };
        agents.forEach((s, i) => {
          let spec = `cpus:${s.cpus};mem:${s.mem}`;
          if (s.reservedRole) spec += `;cpus(${s.reservedRole}):1`;
          if (s.gpus) spec += ";gpus:1";
          const total = res(spec);
          both((a) => a.addAgent({ id: `ag${i}`, hostname: `h${i}`, total }));
        });
        const ids: string[] = [];
        const add = (f: FwSpec): void => {
          const id = `fw${ids.length}`;
          ids.push(id);
          both((a) => a.addFramework(frameworkOf(id, f)));
        };
        fws.forEach(add);
        const pick = (n: number): string | undefined => (ids.length === 0 ? undefined : ids[n % ids.length]);
        let held: Allocation[] = [];
        let now = 0;
        for (const op of ops) {
          switch (op.t) {
            case "allocate": {
              now += op.dt;
              // allocateEach (the master's way, offers handed out agent by agent) vs allocate.
              const got: Allocation[] = [];
              expect(fast.allocateEach(now, (a) => got.push(a))).toBe(got.length);
              expect(picture(got)).toEqual(picture(full.allocate(now)));
              held.push(...got);
              break;
            }
            case "decline": {
              if (held.length === 0) break;
              const o = held.splice(op.pick % held.length, 1)[0]!;
              // Give back all of it, or only its cpus (the rest stays in use, as after a launch).
              const back: Resource[] = op.part ? o.resources.filter((r) => r.name === "cpus") : o.resources;
              both((a) => a.recover(o.frameworkId, o.agentId, o.role, back, { refuseSeconds: op.refuse, now }));
              break;
            }
            case "add":
              add(op.fw);
              break;
            case "remove": {
              const id = pick(op.fw);
              if (!id) break;
              both((a) => a.removeFramework(id));
              ids.splice(ids.indexOf(id), 1);
              held = held.filter((o) => o.frameworkId !== id);
              break;
            }
            case "update": {
              const id = pick(op.fw);
              if (!id) break;
              both((a) => a.updateFramework(frameworkOf(id, op.spec)));
              // Roles it left are no longer its: what it held there counts as given back.
              const gone = held.filter((o) => o.frameworkId === id && !op.spec.roles.includes(o.role));
              for (const o of gone) both((a) => a.recover(o.frameworkId, o.agentId, o.role, o.resources));
              held = held.filter((o) => !gone.includes(o));
              break;
            }
            case "suppress":
            case "revive": {
              const id = pick(op.fw);
              if (!id) break;
              const roles = op.role === undefined ? undefined : [op.role];
              both((a) => (op.t === "suppress" ? a.suppress(id, roles) : a.revive(id, roles)));
              break;
            }
            case "fwActive": {
              const id = pick(op.fw);
              if (!id) break;
              both((a) => (op.active ? a.activateFramework(id) : a.deactivateFramework(id)));
              break;
            }
            case "agentActive": {
              const id = `ag${op.agent % agents.length}`;
              both((a) => (op.active ? a.activateAgent(id) : a.deactivateAgent(id)));
              break;
            }
            case "quota":
              // Limits keep one stage; a guarantee adds a first stage whose allocations the second may extend.
              both((a) => a.setQuota("a", op.limit === undefined ? undefined : op.limit % 2 === 0 ? { limits: { cpus: op.limit } } : { guarantees: { cpus: op.limit } }));
              break;
          }
        }
        now += 1;
        expect(picture(fast.allocate(now))).toEqual(picture(full.allocate(now)));
      }),
      { numRuns: 300 },
    );
  });

  it("wakes an agent when the newcomer's own filter on it expires", () => {
    const allocator = new HierarchicalAllocator();
    allocator.addAgent({ id: "ag", hostname: "h", total: res("cpus:4;mem:1024") });
    allocator.addFramework({ id: "fw", roles: ["*"], capabilities: [] });
    const [offer] = allocator.allocate(0);
    // Declined while disconnected: the next cycle does not visit it and finds nobody blocked.
    allocator.deactivateFramework("fw");
    allocator.recover("fw", "ag", offer!.role, offer!.resources, { refuseSeconds: 5, now: 0 });
    expect(allocator.allocate(1000)).toEqual([]);
    // Back: only its own filter blocks the agent, and only until it expires.
    allocator.activateFramework("fw");
    expect(allocator.allocate(2000)).toEqual([]);
    expect(allocator.allocate(4000)).toEqual([]);
    expect(allocator.allocate(6000).map((o) => o.frameworkId)).toEqual(["fw"]);
  });

  it("shows a new framework the agents its incumbents declined, without revisiting them", () => {
    const allocator = new HierarchicalAllocator();
    for (let i = 0; i < 50; i++) allocator.addAgent({ id: `ag${i}`, hostname: `h${i}`, total: res("cpus:4;mem:1024") });
    for (let f = 0; f < 5; f++) {
      allocator.addFramework({ id: `inc${f}`, roles: ["*"], capabilities: [] });
      for (const o of allocator.allocate(f * 1000)) allocator.recover(o.frameworkId, o.agentId, o.role, o.resources, { refuseSeconds: 3600, now: f * 1000 });
    }
    expect(allocator.allocate(10_000)).toEqual([]);
    expect(allocator.allocate(10_500)).toEqual([]);
    expect(allocator.metrics().lastSkippedAgents).toBe(50);
    allocator.addFramework({ id: "new", roles: ["*"], capabilities: [] });
    const got = allocator.allocate(11_000);
    expect(got.map((o) => o.frameworkId)).toEqual(Array(50).fill("new"));
    expect(new Set(got.map((o) => o.agentId)).size).toBe(50);
    // It declines too: a newcomer-only visit finds every agent blocked again, then they are skipped.
    for (const o of got) allocator.recover(o.frameworkId, o.agentId, o.role, o.resources, { refuseSeconds: 3600, now: 11_000 });
    expect(allocator.allocate(12_000)).toEqual([]);
    allocator.addFramework({ id: "late", roles: ["*"], capabilities: [] });
    allocator.suppress("late");
    expect(allocator.allocate(13_000)).toEqual([]);
    expect(allocator.metrics().lastSkippedAgents).toBe(50);
    expect(allocator.allocate(14_000)).toEqual([]);
    expect(allocator.metrics().lastSkippedAgents).toBe(50);
  });
});
