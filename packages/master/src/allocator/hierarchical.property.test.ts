/**
 * Property tests: random clusters and random event sequences, checked against a simple model of
 * what is outstanding. Invariants: never more than an agent has, reservations only to their role,
 * refusal filters honoured, quota limits never exceeded, GPU agents only to GPU frameworks, one
 * offer per (framework, role, agent) per cycle, nothing to inactive or suppressed parties, and
 * progressive filling leaves weighted dominant shares fair.
 */
import { addResources, containsResources, isAllocatableTo, scalarTotals, subtractResources } from "@caravel/api";
import type { Resource } from "@caravel/api";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HierarchicalAllocator } from "./hierarchical.js";
import { seededRandom } from "./random.js";
import { res } from "./test-helpers.js";
import type { Allocation } from "./types.js";

const ROLES = ["a", "b", "a/x", "c"];
const strip = (rs: Resource[]): Resource[] => rs.map(({ allocation_info: _i, ...r }) => r);

const agentArb = fc.record({
  cpus: fc.integer({ min: 1, max: 8 }),
  mem: fc.integer({ min: 64, max: 4096 }),
  reservedRole: fc.option(fc.constantFrom("a", "b", "a/x"), { nil: undefined }),
  reservedCpus: fc.integer({ min: 1, max: 2 }),
  gpus: fc.boolean(),
  ports: fc.boolean(),
});

const frameworkArb = fc.record({
  roles: fc.uniqueArray(fc.constantFrom(...ROLES), { minLength: 1, maxLength: 3 }),
  gpu: fc.boolean(),
});

const opArb = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant("allocate" as const), dt: fc.integer({ min: 0, max: 4000 }) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("decline" as const), pick: fc.nat(), refuse: fc.constantFrom(-1, 0, 0.5, 3, 60), part: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("suppress" as const), fw: fc.nat(), role: fc.option(fc.constantFrom(...ROLES), { nil: undefined }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("revive" as const), fw: fc.nat(), role: fc.option(fc.constantFrom(...ROLES), { nil: undefined }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("agentActive" as const), agent: fc.nat(), active: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("fwActive" as const), fw: fc.nat(), active: fc.boolean() }) },
);

interface Held {
  fw: string;
  agent: string;
  role: string;
  resources: Resource[];
}

describe("HierarchicalAllocator properties", () => {
  it("keeps every invariant under random events", () => {
    fc.assert(
      fc.property(
        fc.array(agentArb, { minLength: 1, maxLength: 6 }),
        fc.array(frameworkArb, { minLength: 1, maxLength: 4 }),
        fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
        fc.array(opArb, { maxLength: 40 }),
        fc.integer(),
        (agentSpecs, fwSpecs, limitA, ops, seed) => {
          const alloc = new HierarchicalAllocator({ random: seededRandom(seed) });
          if (limitA !== undefined) alloc.setQuota("a", { limits: { cpus: limitA } });
          const totals = new Map<string, Resource[]>();
          const gpuAgents = new Set<string>();
          agentSpecs.forEach((s, i) => {
            let spec = `cpus:${s.cpus};mem:${s.mem}`;
            if (s.reservedRole) spec += `;cpus(${s.reservedRole}):${s.reservedCpus}`;
            if (s.gpus) spec += ";gpus:1";
            if (s.ports) spec += ";ports:[31000-31010]";
            const total = res(spec);
            totals.set(`ag${i}`, total);
            if (s.gpus) gpuAgents.add(`ag${i}`);
            alloc.addAgent({ id: `ag${i}`, hostname: `h${i}`, total });
          });
          const fws = fwSpecs.map((f, i) => ({ id: `fw${i}`, roles: f.roles, capabilities: f.gpu ? ["GPU_RESOURCES", "MULTI_ROLE"] : ["MULTI_ROLE"] }));
          for (const f of fws) alloc.addFramework(f);
          const reservedToA = [...totals.values()].flatMap((t) => t).filter((r) => r.role !== "*" && (r.role === "a" || r.role!.startsWith("a/")) && r.name === "cpus");
          const reservedA = reservedToA.reduce((n, r) => n + (r.scalar?.value ?? 0), 0);

          const held: Held[] = [];
          const filters: Array<{ fw: string; role: string; agent: string; resources: Resource[]; expires: number }> = [];
          const suppressed = new Set<string>();
          const inactiveAgents = new Set<string>();
          const inactiveFws = new Set<string>();
          let now = 0;

          const check = (offers: Allocation[]) => {
            const seen = new Set<string>();
            for (const o of offers) {
              const key = `${o.frameworkId}|${o.role}|${o.agentId}`;
              expect(seen.has(key)).toBe(false);
              seen.add(key);
              const fw = fws.find((f) => f.id === o.frameworkId)!;
              expect(fw.roles).toContain(o.role);
              expect(inactiveFws.has(o.frameworkId)).toBe(false);
              expect(inactiveAgents.has(o.agentId)).toBe(false);
              expect(suppressed.has(`${o.frameworkId}|${o.role}`)).toBe(false);
              if (gpuAgents.has(o.agentId)) expect(fw.capabilities).toContain("GPU_RESOURCES");
              for (const r of o.resources) {
                expect(r.allocation_info?.role).toBe(o.role);
                expect(isAllocatableTo(r, o.role)).toBe(true);
              }
              const t = scalarTotals(o.resources);
              expect((t.cpus ?? 0) >= 0.01 || (t.mem ?? 0) >= 32).toBe(true);
              for (const f of filters) {
                if (f.fw === o.frameworkId && f.role === o.role && f.agent === o.agentId && f.expires > now) {
                  expect(containsResources(f.resources, strip(o.resources))).toBe(false);
                }
              }
              held.push({ fw: o.frameworkId, agent: o.agentId, role: o.role, resources: strip(o.resources) });
            }
            // Never more than an agent has.
            for (const [agentId, total] of totals) {
              const out = held.filter((h) => h.agent === agentId).reduce<Resource[]>((acc, h) => addResources(acc, h.resources), []);
              expect(containsResources(total, out)).toBe(true);
            }
            // Quota limit: unreserved cpus held by a and a/x, plus a's reservations, stay within it.
            if (limitA !== undefined) {
              const unreserved = held.filter((h) => h.role === "a" || h.role.startsWith("a/")).flatMap((h) => h.resources).filter((r) => r.role === "*" && r.name === "cpus");
              const used = unreserved.reduce((n, r) => n + (r.scalar?.value ?? 0), 0);
              expect(used).toBeLessThanOrEqual(Math.max(0, limitA - reservedA) + 1e-6);
            }
          };

          for (const op of ops) {
            if (op.t === "allocate") {
              now += op.dt;
              check(alloc.allocate(now));
            } else if (op.t === "decline" && held.length > 0) {
              const i = op.pick % held.length;
              const h = held[i]!;
              const cpus = h.resources.find((r) => r.name === "cpus" && r.role === "*");
              const give = op.part && cpus && (cpus.scalar?.value ?? 0) > 1 ? [{ ...cpus, scalar: { value: 1 } }] : h.resources;
              const filter = op.refuse === 0 ? undefined : { refuseSeconds: op.refuse, now };
              alloc.recover(h.fw, h.agent, h.role, give, filter);
              if (filter) {
                const secs = op.refuse < 0 ? 5 : op.refuse;
                filters.push({ fw: h.fw, role: h.role, agent: h.agent, resources: give, expires: now + Math.max(secs * 1000, 1000) });
              }
              const rest = subtractResources(h.resources, give);
              if (rest.length === 0) held.splice(i, 1);
              else h.resources = rest;
            } else if (op.t === "suppress" || op.t === "revive") {
              const fw = fws[op.fw % fws.length]!;
              const roles = op.role && fw.roles.includes(op.role) ? [op.role] : fw.roles;
              if (op.t === "suppress") {
                alloc.suppress(fw.id, roles);
                for (const r of roles) suppressed.add(`${fw.id}|${r}`);
              } else {
                alloc.revive(fw.id, roles);
                for (const r of roles) suppressed.delete(`${fw.id}|${r}`);
                for (let k = filters.length - 1; k >= 0; k--) if (filters[k]!.fw === fw.id && roles.includes(filters[k]!.role)) filters.splice(k, 1);
              }
            } else if (op.t === "agentActive") {
              const id = `ag${op.agent % agentSpecs.length}`;
              if (op.active) {
                alloc.activateAgent(id);
                inactiveAgents.delete(id);
              } else {
                alloc.deactivateAgent(id);
                inactiveAgents.add(id);
              }
            } else if (op.t === "fwActive") {
              const id = fws[op.fw % fws.length]!.id;
              if (op.active) {
                alloc.activateFramework(id);
                inactiveFws.delete(id);
              } else {
                alloc.deactivateFramework(id);
                inactiveFws.add(id);
              }
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  }, 120_000);

  it("leaves weighted dominant shares fair after progressive filling", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 40 }), fc.integer(), (weights, agents, seed) => {
        const alloc = new HierarchicalAllocator({ random: seededRandom(seed) });
        const w: Record<string, number> = {};
        weights.forEach((x, i) => (w[`r${i}`] = x));
        alloc.setWeights(w);
        weights.forEach((_, i) => alloc.addFramework({ id: `f${i}`, roles: [`r${i}`], capabilities: [] }));
        for (let i = 0; i < agents; i++) alloc.addAgent({ id: `ag${i}`, hostname: `h${i}`, total: res("cpus:2;mem:1024") });
        const offers = alloc.allocate(0);
        expect(offers).toHaveLength(agents);
        const share = weights.map((_, i) => offers.filter((o) => o.frameworkId === `f${i}`).length / agents);
        const one = 1 / agents;
        // Each role's last agent went to it while it had the lowest weighted share.
        for (let i = 0; i < weights.length; i++) {
          if (share[i] === 0) continue;
          for (let j = 0; j < weights.length; j++) expect((share[i]! - one) / weights[i]!).toBeLessThanOrEqual(share[j]! / weights[j]! + 1e-9);
        }
        // And the roles report the same shares.
        for (const r of alloc.roles()) expect(r.share).toBeCloseTo(share[Number(r.name.slice(1))]! / weights[Number(r.name.slice(1))]!, 6);
      }),
      { numRuns: 100 },
    );
  }, 120_000);
});
