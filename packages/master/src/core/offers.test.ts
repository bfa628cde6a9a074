/**
 * OFFERS events are written from cached JSON text (offers.ts): the text must equal what
 * `toMesosJson(offerJson(...))` writes for every framework flavour, agent shape and resource form,
 * also when the cached parts are reused for a second offer of the same bag or another framework.
 */
import { describe, expect, it } from "vitest";
import { AgentInfo, FrameworkInfo, hasCapability, parseAttributes, parseResources, toMesosJson, type Offer, type Resource } from "@caravel/api";
import { HierarchicalAllocator, withoutAllocationInfo } from "../allocator/index.js";
import { newAgentRecord, newFrameworkRecord, type AgentRecord, type FrameworkRecord, type OfferRecord } from "../state/types.js";
import { forFramework } from "../views/resources.js";
import { offerText } from "./offers.js";

const FLAVOURS: Array<Array<{ type: string }>> = [[], [{ type: "MULTI_ROLE" }], [{ type: "RESERVATION_REFINEMENT" }], [{ type: "MULTI_ROLE" }, { type: "RESERVATION_REFINEMENT" }]];

function agentRecord(id: string, info: Record<string, unknown>): AgentRecord {
  const parsed = AgentInfo.parse(info);
  return { ...newAgentRecord(id, parsed, "127.0.0.1", parsed.port, 0), total: parsed.resources, containerizers: ["sim"], version: "test" };
}

function framework(id: string, capabilities: Array<{ type: string }>, role: string) {
  const multi = capabilities.some((c) => c.type === "MULTI_ROLE");
  return newFrameworkRecord(id, FrameworkInfo.parse({ user: "root", name: "fw ✓", capabilities, ...(multi ? { roles: [role] } : { role }) }), 0);
}

/** The reference: the Offer message built field by field, as the master built it before offerText. */
function offerJson(fw: FrameworkRecord, agent: AgentRecord, offer: OfferRecord): Offer {
  const multiRole = hasCapability(fw.info, "MULTI_ROLE");
  const refinement = hasCapability(fw.info, "RESERVATION_REFINEMENT");
  const executorIds = [...fw.executors.entries()].filter(([, e]) => e.agentId === agent.id).map(([id]) => ({ value: id }));
  return {
    id: { value: offer.id },
    framework_id: { value: fw.id },
    agent_id: { value: agent.id },
    hostname: agent.info.hostname,
    url: { scheme: "http", address: { hostname: agent.info.hostname, ip: agent.ip, port: agent.info.port }, path: "/slave(1)", query: [] },
    domain: agent.info.domain,
    resources: offer.resources.map((r) => forFramework(r, { multiRole, refinement, allocationRole: offer.role })),
    attributes: agent.info.attributes,
    executor_ids: executorIds,
    allocation_info: multiRole ? { role: offer.role } : undefined,
  };
}

const expected = (fw: ReturnType<typeof framework>, agent: AgentRecord, offer: OfferRecord): string => toMesosJson(offerJson(fw, agent, offer));

const AGENTS = [
  agentRecord("a1", { hostname: "host-1", port: 5051, resources: [] }),
  agentRecord("a2", { hostname: "hôte-ü", port: 5052, resources: [], attributes: parseAttributes("rack:r1;zone:z ✓;level:3;ranges:[1-3]"), domain: { fault_domain: { region: { name: "eu" }, zone: { name: "eu-1" } } } }),
];

describe("offerText", () => {
  it("equals toMesosJson(offerJson(...)) for every framework flavour, agent and resource form", () => {
    const resources: Resource[][] = [
      parseResources("cpus:2;mem:512;disk:100;ports:[31000-31005,31010-31010]"),
      parseResources("cpus(web):1;mem(web):64;gpus:1;tags:{a,b}"),
      [
        { name: "cpus", type: "SCALAR", scalar: { value: 1.5 }, role: "web", reservation: { principal: "ops", labels: { labels: [{ key: "k", value: "v ✓" }] } }, reservations: [], allocation_info: { role: "web" } },
        { name: "disk", type: "SCALAR", scalar: { value: 64 }, role: "web", reservation: { principal: "ops" }, disk: { persistence: { id: "vol-1", principal: "ops" }, volume: { container_path: "data", mode: "RW" } }, reservations: [], allocation_info: { role: "web" } },
      ],
    ];
    let n = 0;
    for (const capabilities of FLAVOURS) {
      for (const agent of AGENTS) {
        for (const list of resources) {
          // Framework ids are the scheduler's choice on re-subscription: quotes and non-ASCII must be escaped.
          const fw = framework(n % 3 === 0 ? `fw-${n} ✓"q\\` : `fw-${n}`, capabilities, "web");
          if (n % 2 === 1) fw.executors.set("exec-1", { agentId: agent.id, info: {} });
          const offer: OfferRecord = { id: `offer-${n++}`, frameworkId: fw.id, agentId: agent.id, role: "web", resources: list.map(({ allocation_info: _a, ...r }) => r), createdAt: 0 };
          const executorIds = [...fw.executors.entries()].filter(([, e]) => e.agentId === agent.id).map(([id]) => ({ value: id }));
          expect(offerText(fw, agent, offer, list, executorIds)).toBe(expected(fw, agent, offer));
          expect(offerText(fw, agent, offer, offer.resources, executorIds)).toBe(expected(fw, agent, offer));
        }
      }
    }
  });

  it("reuses an offered bag's cached text only for the same flavour, and stays right after the agent changes", () => {
    const allocator = new HierarchicalAllocator({ minAllocatable: [] });
    const agent = agentRecord("a1", { hostname: "host-1", port: 5051, resources: [] });
    allocator.addAgent({ id: agent.id, hostname: "host-1", total: parseResources("cpus:4;mem:1024;ports:[31000-31009];cpus(web):1") });
    const plain = framework("plain", [], "web");
    const multi = framework("multi", [{ type: "MULTI_ROLE" }, { type: "RESERVATION_REFINEMENT" }], "web");
    allocator.addFramework({ id: multi.id, roles: ["web"], capabilities: ["MULTI_ROLE", "RESERVATION_REFINEMENT"] });
    for (let round = 0; round < 3; round++) {
      for (const fw of round === 1 ? [plain, multi] : [multi, plain]) {
        const [allocation] = allocator.allocate(round * 10_000);
        expect(allocation).toBeDefined();
        const offer: OfferRecord = { id: `o-${round}-${fw.id}`, frameworkId: fw.id, agentId: agent.id, role: allocation!.role, resources: withoutAllocationInfo(allocation!.resources) as Resource[], createdAt: 0 };
        expect(offerText(fw, agent, offer, allocation!.resources)).toBe(expected(fw, agent, offer));
        // The whole offer comes back (a decline without filter): the next cycle offers the same bag.
        allocator.recover(allocation!.frameworkId, allocation!.agentId, allocation!.role, offer.resources);
      }
      if (round === 1) agent.info = AgentInfo.parse({ ...agent.info, hostname: "renamed", attributes: parseAttributes("rack:r9") });
    }
  });

  it("keeps one frozen role-less array per offered bag, recognised when it is declined", () => {
    const allocator = new HierarchicalAllocator({ minAllocatable: [] });
    allocator.addAgent({ id: "a1", hostname: "h", total: parseResources("cpus:4;mem:1024") });
    allocator.addFramework({ id: "f", roles: ["*"], capabilities: [] });
    const first = allocator.allocate(0)[0]!;
    const plain = withoutAllocationInfo(first.resources);
    expect(Object.isFrozen(plain)).toBe(true);
    expect(plain.every((r) => r.allocation_info === undefined)).toBe(true);
    allocator.recover("f", "a1", first.role, plain as Resource[]);
    const second = allocator.allocate(1000)[0]!;
    expect(withoutAllocationInfo(second.resources)).toBe(plain);
    // An array that is not an offer's own is copied, not cached.
    const foreign = second.resources.map((r) => ({ ...r }));
    expect(withoutAllocationInfo(foreign)).not.toBe(plain);
    expect([...withoutAllocationInfo(foreign)]).toEqual([...plain]);
  });
});
