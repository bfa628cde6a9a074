import { describe, expect, it } from "vitest";
import { StopWaiting, waitFor } from "./wait.js";
import { freePort } from "./ports.js";

describe("waitFor", () => {
  it("returns the first truthy value", async () => {
    let n = 0;
    await expect(waitFor(() => (++n >= 3 ? n : 0), { intervalMs: 1 })).resolves.toBe(3);
  });

  it("treats thrown errors as not yet", async () => {
    let n = 0;
    const value = await waitFor(
      async () => {
        if (++n < 3) throw new Error("not yet");
        return "ok";
      },
      { intervalMs: 1 },
    );
    expect(value).toBe("ok");
  });

  it("times out naming what it waited for and the last value", async () => {
    await expect(waitFor(() => 0, { timeoutMs: 20, intervalMs: 5, message: "the answer" })).rejects.toThrow(
      /waiting for the answer; last value: 0/,
    );
  });

  it("reports the last error on timeout", async () => {
    await expect(
      waitFor(
        () => {
          throw new Error("connection refused");
        },
        { timeoutMs: 20, intervalMs: 5 },
      ),
    ).rejects.toThrow(/last error: connection refused/);
  });

  it("stops at once on StopWaiting", async () => {
    let n = 0;
    await expect(
      waitFor(
        () => {
          n++;
          throw new StopWaiting("dead");
        },
        { timeoutMs: 60_000 },
      ),
    ).rejects.toThrow("dead");
    expect(n).toBe(1);
  });
});

describe("freePort", () => {
  it("gives distinct usable ports", async () => {
    const a = await freePort();
    const b = await freePort();
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
  });
});
