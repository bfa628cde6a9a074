/** `POST /api/v1/scheduler`: the Mesos v1 scheduler API (mesos-core.md §1). */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Call, CaravelError } from "@caravel/api";
import { sendError } from "@caravel/runtime";
import { handleCall } from "../core/calls.js";
import type { MasterContext } from "../core/context.js";
import { subscribeError, subscribeFramework } from "../core/frameworks.js";
import { streamId as newStreamId } from "../state/ids.js";
import { EventStream } from "../state/stream.js";
import { acceptsJson, readCall, requirePayload } from "./common.js";

const PAYLOAD_KEY: Partial<Record<Call["type"], string>> = {
  ACCEPT: "accept",
  DECLINE: "decline",
  ACCEPT_INVERSE_OFFERS: "accept_inverse_offers",
  DECLINE_INVERSE_OFFERS: "decline_inverse_offers",
  KILL: "kill",
  SHUTDOWN: "shutdown",
  ACKNOWLEDGE: "acknowledge",
  ACKNOWLEDGE_OPERATION_STATUS: "acknowledge_operation_status",
  RECONCILE: "reconcile",
  RECONCILE_OPERATIONS: "reconcile_operations",
  MESSAGE: "message",
  REQUEST: "request",
  UPDATE_FRAMEWORK: "update_framework",
};

export function schedulerHandler(ctx: MasterContext) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const call = await readCall(req, Call, "scheduler::Call", ctx.config.max_body_bytes);
      if (call.type === "SUBSCRIBE") return subscribe(ctx, req, res, call);
      if (call.type === "UNKNOWN") throw new CaravelError("NOT_IMPLEMENTED", "Call type UNKNOWN is not supported");
      const frameworkId = call.framework_id?.value;
      if (!frameworkId) throw new CaravelError("INVALID_REQUEST", "Expecting 'framework_id' to be present", { path: "framework_id" });
      const fw = ctx.frameworks.get(frameworkId);
      if (!fw) throw new CaravelError("FRAMEWORK_NOT_FOUND", "Framework cannot be found");
      if (!fw.connected) throw new CaravelError("FRAMEWORK_NOT_SUBSCRIBED", "Framework is not subscribed");
      const streamId = req.headers["mesos-stream-id"];
      if (!streamId) throw new CaravelError("STREAM_ID_MISSING", "All non-subscribe calls should include the 'Mesos-Stream-Id' header");
      if (streamId !== fw.streamId) throw new CaravelError("STREAM_ID_MISMATCH", `The stream ID '${String(streamId)}' included in this request didn't match the stream ID currently associated with framework ID ${fw.id}`);
      const key = PAYLOAD_KEY[call.type];
      if (key) requirePayload(call, key);
      handleCall(ctx, fw, call);
      res.writeHead(call.type === "UPDATE_FRAMEWORK" ? 200 : 202, { "content-length": 0 });
      res.end();
    } catch (error) {
      sendError(res, error, ctx.log, "text");
    }
  };
}

function subscribe(ctx: MasterContext, req: IncomingMessage, res: ServerResponse, call: Call): void {
  if (req.headers["mesos-stream-id"]) throw new CaravelError("INVALID_REQUEST", "Subscribe calls should not include the 'Mesos-Stream-Id' header");
  requirePayload(call, "subscribe");
  const sub = call.subscribe!;
  const info = sub.framework_info;
  if (call.framework_id && call.framework_id.value !== info.id?.value) {
    throw new CaravelError("INVALID_REQUEST", "'framework_id' differs from 'subscribe.framework_info.id'", { path: "framework_id" });
  }
  if (!acceptsJson(req)) throw new CaravelError("NOT_ACCEPTABLE", "Caravel streams application/json only; set 'Accept: application/json'");
  const streamId = newStreamId();
  const stream = new EventStream(res, { "mesos-stream-id": streamId });
  const error = subscribeError(ctx, info, sub.suppressed_roles);
  if (error) {
    stream.send({ type: "ERROR", error: { message: error } });
    stream.end();
    return;
  }
  subscribeFramework(ctx, info, sub.suppressed_roles, stream, streamId);
}

