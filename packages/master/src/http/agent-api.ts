/**
 * `POST /internal/agent/v1`: Caravel's agent protocol (packages/api/src/agent-protocol.ts).
 *
 * Calls are read off the socket at once and handled from a queue, a bounded slice of work per
 * event-loop turn (admission.ts), in arrival order except that a large call parsed on the worker
 * thread (agent-call.ts) may be overtaken by later ones (an agent's own calls come one at a time).
 * After a failover every agent of the cluster re-subscribes within a second, and handling 10,000
 * SUBSCRIBEs with their tasks as they are read kept the event loop busy for seconds in one stretch:
 * the ZooKeeper client's pings waited, and the new leader lost its session and stepped down.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { CaravelError } from "@caravel/api";
import { sendError, sendText } from "@caravel/runtime";
import { agentTotal, pong, subscribeAgent } from "../core/agents.js";
import type { MasterContext } from "../core/context.js";
import { checkDrained } from "../core/drain.js";
import { agentUpdate } from "../core/tasks.js";
import { streamId as newStreamId } from "../state/ids.js";
import { EventStream } from "../state/stream.js";
import { admit, admitNext } from "./admission.js";
import type { AgentCallParser, PendingCall, ReadCall } from "./agent-call.js";
import { checkContentType, requirePayload } from "./common.js";

/**
 * Runs `run` once this master, leading, has recovered its registry (at once if it has); runs `refuse`
 * if the recovery fails or the master is not leading.
 */
export type WhenRecovered = (run: () => void, refuse: () => void) => void;

export function agentHandler(ctx: MasterContext, parser: AgentCallParser, whenRecovered: WhenRecovered) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    try {
      checkContentType(req);
    } catch (error) {
      sendError(res, error, ctx.log, "text");
      return;
    }
    readAgentBody(req, ctx.config.max_body_bytes, (error, body) => {
      if (error) {
        sendError(res, error, ctx.log, "text");
        return;
      }
      const refuse = (): void => {
        parser.drop(call);
        if (!res.headersSent) sendText(res, 503, "Master could not recover its registry");
      };
      // Parsing starts at once (a large call on the worker, also while a new leader recovers its
      // registry); handling waits for the recovery and runs within the queue's budget, right after
      // the parse.
      const call: PendingCall = parser.submit(body!, (invalid, read) =>
        whenRecovered(() => (invalid ? sendError(res, invalid, ctx.log, "text") : admitNext(() => handle(ctx, req, res, read!))), refuse),
      );
      whenRecovered(
        () =>
          admit(() => {
            if (req.socket.destroyed) parser.drop(call); // the agent gave up while its call waited
            else parser.takeInline(call); // unless the worker has it already
          }),
        refuse,
      );
    });
  };
}

/**
 * Reads a body up to `limit` bytes with plain listeners (runtime's readBody, without its async
 * iterator and promises: after a failover 10,000 of these are read in one go before any is handled).
 */
function readAgentBody(req: IncomingMessage, limit: number, done: (error: unknown, body?: Buffer) => void): void {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) {
    req.resume();
    done(new CaravelError("PAYLOAD_TOO_LARGE", `request body of ${declared} bytes exceeds the ${limit}-byte limit`));
    return;
  }
  let chunks: Buffer[] = [];
  let size = 0;
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size > limit) settle(new CaravelError("PAYLOAD_TOO_LARGE", `request body exceeds the ${limit}-byte limit`));
    else chunks.push(chunk);
  };
  const onEnd = (): void => settle(undefined, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
  const onError = (error: unknown): void => settle(error);
  // The request stays open as the agent's event stream: its listeners go once the body is read, or
  // they would keep the call (its body, 100 MB after a failover at 10,000 agents) as long as the agent.
  const settle = (error: unknown, body?: Buffer): void => {
    req.off("data", onData).off("end", onEnd).off("error", onError).on("error", ignore);
    chunks = [];
    done(error, body);
  };
  req.on("data", onData).on("end", onEnd).on("error", onError);
}

const ignore = (): void => undefined;

async function handle(ctx: MasterContext, req: IncomingMessage, res: ServerResponse, read: ReadCall): Promise<void> {
  try {
    if (req.socket.destroyed) return; // the agent gave up while its call waited
    const { call, tasks, frameworks } = read();
    if (call.type === "SUBSCRIBE") {
      requirePayload(call, "subscribe");
      const streamId = newStreamId();
      const stream = new EventStream(res, { "mesos-stream-id": streamId });
      const sub = call.subscribe!;
      // (A closure made in subscribeAgent would keep the whole call for as long as the agent stays.)
      const result = await subscribeAgent(ctx, sub, tasks, stream, streamId, frameworks ?? (() => sub.frameworks));
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
}
