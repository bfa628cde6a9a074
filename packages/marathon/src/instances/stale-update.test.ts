import { describe, expect, it } from "vitest";
import { isStaleUpdate } from "./stale-update.js";

describe("isStaleUpdate", () => {
  it("drops a late STAGING or STARTING once the task ran, and nothing else", () => {
    expect(isStaleUpdate("TASK_RUNNING", "TASK_STARTING")).toBe(true);
    expect(isStaleUpdate("TASK_RUNNING", "TASK_STAGING")).toBe(true);
    expect(isStaleUpdate("TASK_STARTING", "TASK_RUNNING")).toBe(false);
    expect(isStaleUpdate("TASK_STAGING", "TASK_STARTING")).toBe(false);
    expect(isStaleUpdate("TASK_RUNNING", "TASK_FAILED")).toBe(false);
    expect(isStaleUpdate("TASK_RUNNING", "TASK_UNREACHABLE")).toBe(false);
    expect(isStaleUpdate("TASK_UNREACHABLE", "TASK_RUNNING")).toBe(false);
  });
});
