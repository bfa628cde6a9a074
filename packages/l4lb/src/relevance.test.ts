import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { applyOperatorEvent, buildVipTable, emptyClusterView, touchedTaskIds, type ClusterView } from "@caravel/api";
import { mayChangeVips } from "./relevance.js";

const agent = (id: string, ip: string) => ({ type: "AGENT_ADDED", agent_added: { agent: { agent_info: { id: { value: id }, hostname: ip, port: 5051 }, pid: `slave(1)@${ip}:5051` } } });
const framework = { type: "FRAMEWORK_ADDED", framework_added: { framework: { framework_info: { id: { value: "fw" }, name: "marathon" } } } };

function taskAdded(n: number, vip: boolean, agentId: string) {
  const labels = vip ? { labels: [{ key: "VIP_0", value: `/app${n % 2}:80` }] } : { labels: [] };
  return {
    type: "TASK_ADDED",
    task_added: {
      task: {
        task_id: { value: `t${n}` },
        name: `app${n}`,
        framework_id: { value: "fw" },
        agent_id: { value: agentId },
        state: "TASK_STAGING",
        resources: [{ name: "ports", type: "RANGES", ranges: { range: [{ begin: 31000 + n, end: 31000 + n }] } }],
        discovery: { visibility: "FRAMEWORK", name: `app${n}`, ports: { ports: [{ number: 31000 + n, protocol: "tcp", labels }] } },
      },
    },
  };
}

const taskUpdated = (n: number, state: string, healthy?: boolean) => ({
  type: "TASK_UPDATED",
  task_updated: { state, status: { task_id: { value: `t${n}` }, state, ...(healthy === undefined ? {} : { healthy }) } },
});

const event = fc.oneof(
  fc.record({ n: fc.integer({ min: 0, max: 5 }), vip: fc.boolean(), agent: fc.constantFrom("a1", "a2") }).map((e) => taskAdded(e.n, e.vip, e.agent)),
  fc.record({ n: fc.integer({ min: 0, max: 5 }), state: fc.constantFrom("TASK_RUNNING", "TASK_KILLED", "TASK_STARTING"), healthy: fc.option(fc.boolean(), { nil: undefined }) }).map((e) => taskUpdated(e.n, e.state, e.healthy)),
  fc.constantFrom(agent("a2", "10.0.0.9"), { type: "AGENT_REMOVED", agent_removed: { agent_id: { value: "a1" } } }, { type: "HEARTBEAT" }),
);

describe("mayChangeVips", () => {
  it("names the tasks of task events only", () => {
    expect(touchedTaskIds(taskUpdated(3, "TASK_RUNNING"))).toEqual(["t3"]);
    expect(touchedTaskIds(taskAdded(1, false, "a1"))).toEqual(["t1"]);
    expect(touchedTaskIds({ type: "HEARTBEAT" })).toEqual([]);
    expect(touchedTaskIds(framework)).toBeUndefined();
  });

  it("property: when it says no, the VIP table is unchanged", () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), (events) => {
        let view: ClusterView = [agent("a1", "10.0.0.1"), framework].reduce(applyOperatorEvent, emptyClusterView());
        for (const e of events) {
          const next = applyOperatorEvent(view, e);
          if (!mayChangeVips(view, next, e)) expect(buildVipTable(next, "11.0.0.0/8")).toEqual(buildVipTable(view, "11.0.0.0/8"));
          view = next;
        }
      }),
      { numRuns: 200 },
    );
  });

  it("says yes for a VIP task going RUNNING", () => {
    const before = [agent("a1", "10.0.0.1"), framework, taskAdded(1, true, "a1")].reduce(applyOperatorEvent, emptyClusterView());
    const e = taskUpdated(1, "TASK_RUNNING");
    const after = applyOperatorEvent(before, e);
    expect(mayChangeVips(before, after, e)).toBe(true);
    expect(buildVipTable(after, "11.0.0.0/8")).toHaveLength(1);
  });
});
