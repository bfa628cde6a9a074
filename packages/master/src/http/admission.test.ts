import { describe, expect, it } from "vitest";
import { AdmissionQueue } from "./admission.js";

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("AdmissionQueue", () => {
  it("runs jobs in arrival order", async () => {
    const queue = new AdmissionQueue(1000);
    const seen: number[] = [];
    for (let i = 0; i < 100; i++) queue.push(() => seen.push(i));
    while (queue.pending > 0) await turn();
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it("lets other callbacks run between slices once a slice used its budget", async () => {
    const queue = new AdmissionQueue(0); // a budget of 0: one job per turn
    const seen: string[] = [];
    queue.push(() => seen.push("job 1"));
    queue.push(() => seen.push("job 2"));
    queue.push(() => seen.push("job 3"));
    setImmediate(() => seen.push("other"));
    while (queue.pending > 0) await turn();
    expect(seen).toEqual(["job 1", "other", "job 2", "job 3"]);
  });

  it("runs a job pushed first before the waiting ones", async () => {
    const queue = new AdmissionQueue(0);
    const seen: string[] = [];
    queue.push(() => seen.push("a"));
    queue.push(() => {
      seen.push("b");
      queue.pushFirst(() => seen.push("b, second step"));
    });
    queue.push(() => seen.push("c"));
    queue.pushFirst(() => seen.push("first"));
    while (queue.pending > 0) await turn();
    expect(seen).toEqual(["first", "a", "b", "b, second step", "c"]);
  });

  it("runs second steps in the order they came, however many jobs wait", async () => {
    const queue = new AdmissionQueue(1000);
    const seen: string[] = [];
    for (let i = 0; i < 10_000; i++) queue.push(() => i === 0 && seen.push("job 0"));
    queue.pushFirst(() => seen.push("x"));
    queue.pushFirst(() => seen.push("y"));
    while (queue.pending > 0) await turn();
    expect(seen).toEqual(["x", "y", "job 0"]);
  });

  it("keeps going after a job that throws", async () => {
    const queue = new AdmissionQueue(1000);
    const seen: string[] = [];
    queue.push(() => {
      throw new Error("bug");
    });
    queue.push(() => seen.push("next"));
    while (queue.pending > 0) await turn();
    expect(seen).toEqual(["next"]);
  });
});
