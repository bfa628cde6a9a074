/** Reported tasks: a record whose details are left in the call's text reads exactly as one built from the objects. */
import { describe, expect, it } from "vitest";
import type { AgentTask } from "@caravel/api";
import { CallText, reportTasks, reportedTaskRecord, summarizeTasks, taskDetails, UnreadCalls, type ReportedTask, type TaskDetails } from "./reported-task.js";

const agentTask = (k: number): AgentTask => ({
  framework_id: { value: "fw" },
  info: {
    name: `t${k}`,
    task_id: { value: `t${k}` },
    agent_id: { value: "S1" },
    resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 0.5 }, reservations: [], allocation_info: { role: "web" } }],
  } as AgentTask["info"],
  state: "TASK_RUNNING",
  latest_status: { task_id: { value: `t${k}` }, state: "TASK_RUNNING", timestamp: 1_700_000_000 + k } as AgentTask["latest_status"],
  pending_uuid: k === 1 ? "dXVpZA==" : undefined,
});

/** The details of `tasks` left in a call's text; `reads` counts how often that text is parsed. */
function deferred(tasks: AgentTask[], unread = new UnreadCalls()) {
  const counter = { reads: 0 };
  const read = (text: Buffer | string): TaskDetails[] => {
    counter.reads++;
    return reportTasks(JSON.parse(text.toString()) as AgentTask[]).map((t) => t.details as TaskDetails);
  };
  const call = new CallText(JSON.stringify(tasks), read, unread);
  return { tasks: summarizeTasks(tasks).map((t, index): ReportedTask => ({ ...t, details: { call, index } })), counter };
}

describe("reported tasks", () => {
  it("reads ids, states, the allocation role and normalized resources at once", () => {
    const [a, b] = reportTasks([agentTask(0), agentTask(1)]);
    expect(a).toMatchObject({ frameworkId: "fw", taskId: "t0", state: "TASK_RUNNING", latestState: "TASK_RUNNING", allocationRole: "web" });
    expect(a!.resources[0]).toMatchObject({ name: "cpus", role: "*", scalar: { value: 0.5 } });
    expect(b!.pendingUuid).toBe("dXVpZA==");
    expect(taskDetails(deferred([agentTask(2)]).tasks[0]!).latest_status).toEqual(agentTask(2).latest_status);
    // Alike resource lists of one call are one array.
    expect(a!.resources).toBe(b!.resources);
  });

  it("builds the same record from details left in the call's text as from objects", () => {
    const [objects] = reportTasks([agentTask(0)]);
    const [text] = deferred([agentTask(0)]).tasks;
    expect(text!.details).toMatchObject({ index: 0 });
    const eager = reportedTaskRecord(objects!, "fw", "S1", "web");
    const lazy = reportedTaskRecord(text!, "fw", "S1", "web");
    expect({ ...lazy, info: lazy.info, statuses: lazy.statuses }).toEqual({ ...eager, info: eager.info, statuses: eager.statuses });
    expect(lazy.info).toEqual(eager.info);
    expect(lazy.statuses).toEqual(eager.statuses);
    expect(lazy.info).toBe(lazy.info);
    expect(lazy.resources).toBe(text!.resources);
    lazy.statuses.push({ task_id: { value: "t0" }, state: "TASK_FINISHED" } as (typeof lazy.statuses)[number]);
    expect(lazy.statuses.map((s) => s.state)).toEqual(["TASK_RUNNING", "TASK_FINISHED"]);
    lazy.info = { ...lazy.info, name: "renamed" };
    expect(lazy.info.name).toBe("renamed");
    // Nothing but the record's fields shows: the text is private.
    expect(Object.keys(lazy)).not.toContain("details");
  });

  it("parses a call's text once, when the first of its tasks' details is read", () => {
    const { tasks, counter } = deferred([agentTask(0), agentTask(1)]);
    const [first, second] = tasks.map((t) => reportedTaskRecord(t, "fw", "S1", "web"));
    expect(counter.reads).toBe(0);
    expect(second!.info.name).toBe("t1");
    expect(first!.statuses[0]!.timestamp).toBe(1_700_000_000);
    expect(counter.reads).toBe(1);
  });

  it("parses the texts nobody read in the background, once calls stop coming", async () => {
    const { tasks, counter } = deferred([agentTask(0)]);
    expect(counter.reads).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1300));
    expect(counter.reads).toBe(1);
    expect(taskDetails(tasks[0]!).info.name).toBe("t0");
    expect(counter.reads).toBe(1);
  });

  it("stops parsing in the background when its master closes", async () => {
    const unread = new UnreadCalls();
    const { tasks, counter } = deferred([agentTask(0)], unread);
    unread.close();
    await new Promise((resolve) => setTimeout(resolve, 1300));
    expect(counter.reads).toBe(0);
    expect(taskDetails(tasks[0]!).info.name).toBe("t0"); // still read when asked for
  });
});
