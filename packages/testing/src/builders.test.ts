import { describe, expect, it } from "vitest";
import { FrameworkInfo, Offer, TaskInfo, TaskStatus, scalarTotals } from "@caravel/api";
import { builders } from "./builders.js";

describe("builders", () => {
  it("build objects that pass the wire schemas", () => {
    expect(() => FrameworkInfo.parse(builders.frameworkInfo({ roles: ["web"] }))).not.toThrow();
    const offer = builders.offer();
    expect(() => Offer.parse(offer)).not.toThrow();
    const task = builders.taskFor(offer, { resources: "cpus:0.5;mem:64", cmd: "echo hi" });
    expect(TaskInfo.parse(task).agent_id.value).toBe(offer.agent_id.value);
    expect(() => TaskStatus.parse(builders.taskStatus(task.task_id.value, "TASK_RUNNING"))).not.toThrow();
  });

  it("parses resource text", () => {
    expect(scalarTotals(builders.resources("cpus:1;mem:128"))).toMatchObject({ cpus: 1, mem: 128 });
  });

  it("gives unique ids", () => {
    expect(builders.task().task_id.value).not.toBe(builders.task().task_id.value);
    expect(builders.frameworkInfo().name).not.toBe(builders.frameworkInfo().name);
  });
});
