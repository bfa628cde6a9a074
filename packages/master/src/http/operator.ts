/** `POST /api/v1`: the master's operator API (mesos-core.md §4.1–4.2). */
import type { IncomingMessage, ServerResponse } from "node:http";
import { CaravelError, OperatorCall, toMesosJson } from "@caravel/api";
import { sendError } from "@caravel/runtime";
import { markGone } from "../core/agents.js";
import type { MasterContext } from "../core/context.js";
import { MASTER_VERSION } from "../core/context.js";
import { removeFramework } from "../core/frameworks.js";
import {
  deactivateAgent,
  maintenanceStatus,
  reactivateAgent,
  requireAgent,
  setQuotas,
  setSchedule,
  setWeights,
  type MaintenanceState,
} from "../core/maintenance.js";
import { drainAgent } from "../core/drain.js";
import { EventStream } from "../state/stream.js";
import { getAgents, getExecutors, getFrameworks, getState, getTasks } from "../views/v1.js";
import { acceptsJson, readCall, requirePayload } from "./common.js";

export interface OperatorDeps {
  maintenance: MaintenanceState;
  flags: () => Record<string, string>;
  metrics: () => Record<string, number>;
  roles: () => unknown[];
}

export function operatorHandler(ctx: MasterContext, deps: OperatorDeps) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const call = await readCall(req, OperatorCall, "master::Call", ctx.config.max_body_bytes);
      if (call.type === "SUBSCRIBE") return subscribe(ctx, req, res);
      const key = call.type.toLowerCase();
      const payload = await dispatch(ctx, deps, call);
      if (payload === undefined) {
        res.writeHead(200, { "content-length": 0 });
        res.end();
        return;
      }
      const body = toMesosJson({ type: call.type, [key]: payload });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    } catch (error) {
      sendError(res, error, ctx.log, "text");
    }
  };
}

function subscribe(ctx: MasterContext, req: IncomingMessage, res: ServerResponse): void {
  if (!acceptsJson(req)) throw new CaravelError("NOT_ACCEPTABLE", "Caravel streams application/json only");
  if (ctx.bus.size >= ctx.bus.maxSubscribers) throw new CaravelError("TOO_MANY_REQUESTS", "Too many operator event stream subscribers; try again later");
  const stream = new EventStream(res);
  stream.send({ type: "SUBSCRIBED", subscribed: { get_state: getState(ctx), heartbeat_interval_seconds: ctx.config.heartbeat_interval } });
  stream.startHeartbeats(ctx.config.heartbeat_interval * 1000);
  ctx.bus.add(stream);
}

type Payload = Record<string, unknown> | undefined;

async function dispatch(ctx: MasterContext, deps: OperatorDeps, call: OperatorCall): Promise<Payload> {
  const m = deps.maintenance;
  switch (call.type) {
    case "GET_HEALTH":
      return { healthy: true };
    case "GET_FLAGS":
      return { flags: Object.entries(deps.flags()).map(([name, value]) => ({ name, value })) };
    case "GET_VERSION":
      return { version_info: { version: MASTER_VERSION, build_user: "caravel" } };
    case "GET_METRICS":
      return { metrics: Object.entries(deps.metrics()).map(([name, value]) => ({ name, value })) };
    case "GET_LOGGING_LEVEL":
      return { level: 0 };
    case "GET_STATE":
      return getState(ctx);
    case "GET_AGENTS":
      return getAgents(ctx);
    case "GET_FRAMEWORKS":
      return getFrameworks(ctx);
    case "GET_EXECUTORS":
      return getExecutors(ctx);
    case "GET_TASKS":
      return getTasks(ctx);
    case "GET_OPERATIONS":
      return { operations: [] };
    case "GET_ROLES":
      return { roles: deps.roles() };
    case "GET_WEIGHTS":
      return { weight_infos: [...m.weights].map(([role, weight]) => ({ role, weight })) };
    case "UPDATE_WEIGHTS":
      requirePayload(call, "update_weights");
      await setWeights(ctx, m, call.update_weights!.weight_infos);
      return undefined;
    case "GET_MASTER":
      return { master_info: ctx.masterInfo, start_time: ctx.startTime / 1000, elected_time: ctx.electedTime === undefined ? undefined : ctx.electedTime / 1000 };
    case "GET_QUOTA":
      return { status: { configs: [...m.quotas.values()] } };
    case "UPDATE_QUOTA":
      requirePayload(call, "update_quota");
      await setQuotas(ctx, m, call.update_quota!.quota_configs);
      return undefined;
    case "GET_MAINTENANCE_STATUS":
      return maintenanceStatus(ctx, m);
    case "GET_MAINTENANCE_SCHEDULE":
      return { schedule: m.schedule };
    case "UPDATE_MAINTENANCE_SCHEDULE":
      requirePayload(call, "update_maintenance_schedule");
      await setSchedule(ctx, m, call.update_maintenance_schedule!.schedule);
      return undefined;
    case "DRAIN_AGENT": {
      requirePayload(call, "drain_agent");
      const d = call.drain_agent!;
      await drainAgent(ctx, requireAgent(ctx, d.agent_id.value), d.max_grace_period?.seconds, d.mark_gone);
      return undefined;
    }
    case "DEACTIVATE_AGENT":
      requirePayload(call, "deactivate_agent");
      await deactivateAgent(ctx, requireAgent(ctx, call.deactivate_agent!.agent_id.value));
      return undefined;
    case "REACTIVATE_AGENT":
      requirePayload(call, "reactivate_agent");
      await reactivateAgent(ctx, requireAgent(ctx, call.reactivate_agent!.agent_id.value));
      return undefined;
    case "MARK_AGENT_GONE":
      requirePayload(call, "mark_agent_gone");
      await markGone(ctx, requireAgent(ctx, call.mark_agent_gone!.agent_id.value));
      return undefined;
    case "TEARDOWN": {
      requirePayload(call, "teardown");
      const fw = ctx.frameworks.get(call.teardown!.framework_id.value);
      if (!fw) throw new CaravelError("INVALID_REQUEST", `Framework ${call.teardown!.framework_id.value} is not registered`, { path: "teardown.framework_id" });
      removeFramework(ctx, fw);
      return undefined;
    }
    default:
      throw new CaravelError("NOT_IMPLEMENTED", `Operator call ${call.type} is not supported by Caravel yet`);
  }
}

