import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { applyOperatorEvent, clusterViewFromMasterState, type ClusterView } from "@caravel/api";
import { legacyState, legacyTask, marathonDiscovery } from "./fixture.js";
import { generateRecords, type GenerateOptions } from "./generate.js";
import type { RecordSet } from "./record-set.js";
import { RecordStore } from "./store.js";

const options: GenerateOptions = { domain: "mesos", ttl: 60, ipSources: ["netinfo", "host"], nameserverIps: ["127.0.0.1"], masters: [], vipCidr: "11.0.0.0/8" };

const normalise = (set: RecordSet) =>
  Object.fromEntries(
    [...set.names]
      .map(([name, e]) => [name, { a: [...e.a].sort(), aaaa: [...e.aaaa].sort(), srv: e.srv.map((s) => `${s.target}:${s.port}`).sort(), ttl: e.ttl }] as const)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );

const event = fc.oneof(
  fc.record({ kind: fc.constant("add" as const), n: fc.integer({ min: 0, max: 6 }), name: fc.constantFrom("web", "api.prod", "db"), agent: fc.constantFrom("a1b2-S1", "a1b2-S2"), vip: fc.boolean() }),
  fc.record({ kind: fc.constantFrom("run" as const, "kill" as const, "unhealthy" as const), n: fc.integer({ min: 0, max: 6 }) }),
  fc.record({ kind: fc.constant("agent-gone" as const), agent: fc.constantFrom("a1b2-S1", "a1b2-S2") }),
  fc.record({ kind: fc.constant("resync" as const) }),
);

function apply(view: ClusterView, e: Record<string, unknown>): ClusterView {
  const id = `t.${e["n"]}`;
  switch (e["kind"]) {
    case "add": {
      const task = legacyTask({
        id,
        name: String(e["name"]),
        agent: String(e["agent"]),
        state: "TASK_STAGING",
        ports: "[31000-31001]",
        discovery: marathonDiscovery(String(e["name"]), [{ number: 31000, name: "http", ...(e["vip"] ? { vip: `/${String(e["name"])}:80` } : {}) }]),
      });
      return applyOperatorEvent(view, { type: "TASK_ADDED", task_added: { task: { ...task, task_id: { value: id }, framework_id: { value: "fw-marathon" } } } });
    }
    case "run":
    case "kill":
    case "unhealthy": {
      const state = e["kind"] === "kill" ? "TASK_KILLED" : "TASK_RUNNING";
      const status = { task_id: { value: id }, state, ...(e["kind"] === "unhealthy" ? { healthy: false } : {}), container_status: { network_infos: [{ ip_addresses: [{ ip_address: `10.5.0.${Number(e["n"]) + 1}` }] }] } };
      return applyOperatorEvent(view, { type: "TASK_UPDATED", task_updated: { state, status } });
    }
    case "resync":
      // A full resync: equal content, every object new.
      return {
        ...view,
        agents: new Map(view.agents),
        frameworks: new Map(view.frameworks),
        tasks: new Map([...view.tasks].map(([id, t]) => [id, structuredClone(t)])),
      };
    default:
      return applyOperatorEvent(view, { type: "AGENT_REMOVED", agent_removed: { agent_id: { value: e["agent"] } } });
  }
}

describe("RecordStore", () => {
  it("property: incremental updates (with or without the touched-task hint) equal a fresh generation of the same view", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(event, fc.boolean()), { maxLength: 40 }), (events) => {
        const store = new RecordStore(options);
        let view = clusterViewFromMasterState(legacyState());
        store.update(view);
        for (const [e, hint] of events) {
          view = apply(view, e as Record<string, unknown>);
          // With the hint the store looks only at the touched task; without it, it diffs every task.
          store.update(view, hint && "n" in e ? new Set([`t.${e.n}`]) : undefined);
          const fresh = generateRecords(view, options);
          expect(normalise(store.records())).toEqual(normalise(fresh));
          expect([...store.records().existing].sort()).toEqual([...fresh.existing].sort());
        }
      }),
      { numRuns: 150 },
    );
  });
});
