import { describe, expect, it } from "vitest";
import { busyPorts, freePorts } from "./ports.js";

describe("freePorts", () => {
  it("gives distinct bindable ports outside the ephemeral range and the task port range", async () => {
    const ports = await freePorts(20);
    expect(new Set(ports).size).toBe(20);
    for (const p of ports) expect(p >= 21000 && p <= 30999).toBe(true);
    expect(await busyPorts(ports)).toEqual([]);
  });
});
