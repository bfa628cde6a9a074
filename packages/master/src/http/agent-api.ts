/** `POST /internal/agent/v1`: Caravel's agent protocol (packages/api/src/agent-protocol.ts). */
import type { IncomingMessage, ServerResponse } from "node:http";
import { AgentCall, CaravelError } from "@caravel/api";
import { sendError } from "@caravel/runtime";
import { agentTotal, pong, subscribeAgent } from "../core/agents.js";
import type { MasterContext } from "../core/context.js";
import { checkDrained } from "../core/maintenance.js";
import { agentUpdate } from "../core/tasks.js";
import { streamId as newStreamId } from "../state/ids.js";
import { EventStream } from "../state/stream.js";
import { readCall, requirePayload } from "./common.js";

export function agentHandler(ctx: MasterContext) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const call = await readCall(req, AgentCall, "agent call", ctx.config.max_body_bytes);
      if (call.type === "SUBSCRIBE") {
        requirePayload(call, "subscribe");
        const streamId = newStreamId();
        const stream = new EventStream(res, { "mesos-stream-id": streamId });
        const result = await subscribeAgent(ctx, call.subscribe!, stream, streamId);
        if ("shutdown" in result) {
          stream.send({ type: "SHUTDOWN", shutdown: { message: result.shutdown } });
          stream.end();
        }
        return;
      }
      const agentId = call.agent_id?.value;
      if (!agentId) throw new CaravelError("INVALID_REQUEST", "Expecting 'agent_id' to be present", { path: "agent_id" });
      const agent = ctx.agents.get(agentId);
      if (!agent) throw new CaravelError("AGENT_NOT_FOUND", `Agent ${agentId} is not registered; subscribe first`);
      if (req.headers["mesos-stream-id"] !== agent.streamId) {
        throw new CaravelError("STREAM_ID_MISMATCH", "'Mesos-Stream-Id' does not match the agent's current subscription; re-subscribe");
      }
      switch (call.type) {
        case "PONG":
          pong(agent);
          break;
        case "UPDATE":
          requirePayload(call, "update");
          agentUpdate(ctx, agent.id, call.update!.framework_id.value, call.update!.status, call.update!.latest_state);
          void checkDrained(ctx, agent);
          break;
        case "UPDATE_RESOURCES":
          requirePayload(call, "update_resources");
          agent.info = { ...agent.info, resources: call.update_resources!.total };
          agent.total = agentTotal(agent.info.resources, agent.checkpointed);
          ctx.allocator.updateAgentTotal(agent.id, agent.total);
          ctx.requestAgentAllocation();
          break;
        case "UNSUBSCRIBE":
          agent.stream?.end();
          break;
      }
      res.writeHead(202, { "content-length": 0 });
      res.end();
    } catch (error) {
      sendError(res, error, ctx.log, "text");
    }
  };
}
