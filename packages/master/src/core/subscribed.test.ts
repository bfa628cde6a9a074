import { describe, expect, it } from "vitest";
import { toMesosJson } from "@caravel/api";
import { startTestMaster } from "../test-support/master.js";
import { subscribedJson } from "./agents.js";

describe("subscribedJson", () => {
  it("is the SUBSCRIBED event serialized, byte for byte, for any agent id", async () => {
    const master = await startTestMaster();
    try {
      const ctx = master.server.ctx;
      for (const id of ["S1", "agent-ü-7", 'quote"d']) {
        const event = { type: "SUBSCRIBED", subscribed: { agent_id: { value: id }, master_info: ctx.masterInfo, ping_interval_seconds: ctx.config.agent_ping_timeout } };
        expect(subscribedJson(ctx, id)).toBe(toMesosJson(event));
      }
    } finally {
      await master.close();
    }
  });
});
