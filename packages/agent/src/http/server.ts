/**
 * caravel-agent's HTTP API: `/state` (also `/slave(1)/state`, `.json`), `/health`, `/metrics`,
 * `/metrics/snapshot`, `/monitor/statistics`, `/containers`, `/flags`, `/api/v1` and `/files/*`.
 * With `--simulate N` one server answers for every simulated agent: `?agent=<i>` picks one (default 0).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { CaravelError, isTerminalState } from "@caravel/api";
import { MetricsRegistry, Router, listen, readJson, sendJson, sendText, type Listening, type Logger } from "@caravel/runtime";
import type { Agent } from "../core/agent.js";
import { slavesRoot } from "../core/sandbox.js";
import { registerFiles } from "../files/handlers.js";
import { SLAVE_LOG } from "../files/confine.js";
import { agentState } from "./state.js";
import { sendMaybeJsonp } from "./jsonp.js";

export interface ServerDeps {
  agents: Agent[];
  log: Logger;
  metrics: MetricsRegistry;
  flags: Record<string, unknown>;
  logFile?: string;
  logDir?: string;
}

function pickAgent(agents: Agent[], url: URL): Agent {
  const raw = url.searchParams.get("agent");
  if (raw === null) return agents[0]!;
  const i = Number(raw);
  if (!Number.isInteger(i) || i < 0 || i >= agents.length) {
    throw new CaravelError("INVALID_REQUEST", `query parameter 'agent' must be an index from 0 to ${agents.length - 1}`, { path: "agent" });
  }
  return agents[i]!;
}

async function statistics(agent: Agent) {
  const out: unknown[] = [];
  for (const r of agent.tasks.values()) {
    if (isTerminalState(r.state) || !r.container) continue;
    const cz = agent.settings.containerizers.find((c) => c.name === r.containerizer);
    const u = await cz?.usage(r.containerId).catch(() => undefined);
    if (!u) continue;
    out.push({
      executor_id: r.executorId,
      executor_name: `Command Executor (Task: ${r.executorId})`,
      framework_id: r.frameworkId,
      source: r.executorId,
      statistics: {
        timestamp: u.timestamp,
        cpus_user_time_secs: u.cpusUserTimeSecs,
        cpus_system_time_secs: u.cpusSystemTimeSecs,
        cpus_limit: u.cpusLimit,
        mem_rss_bytes: u.memRssBytes,
        mem_limit_bytes: u.memLimitBytes,
      },
    });
  }
  return out;
}

async function containers(agent: Agent) {
  const stats = (await statistics(agent)) as Array<{ executor_id: string; statistics: unknown }>;
  const byExecutor = new Map(stats.map((s) => [s.executor_id, s.statistics]));
  return [...agent.tasks.values()]
    .filter((r) => !isTerminalState(r.state) && r.container)
    .map((r) => ({
      framework_id: { value: r.frameworkId },
      executor_id: { value: r.executorId },
      executor_name: `Command Executor (Task: ${r.executorId})`,
      container_id: { value: r.containerId },
      container_status: r.latestStatus?.container_status,
      resource_statistics: byExecutor.get(r.executorId),
    }));
}

const API_CALLS = ["GET_HEALTH", "GET_STATE", "GET_CONTAINERS", "GET_VERSION", "GET_FLAGS", "GET_TASKS"] as const;

async function operatorCall(deps: ServerDeps, agent: Agent, body: unknown): Promise<unknown> {
  const type = (body as { type?: unknown } | null)?.type;
  if (typeof type !== "string" || !API_CALLS.includes(type as never)) {
    throw new CaravelError("INVALID_REQUEST", `'type' must be one of ${API_CALLS.join(", ")}; got ${JSON.stringify(type)}`, { path: "type" });
  }
  const state = () => agentState(agent, deps.flags, deps.logDir);
  const tasks = () => {
    const all = [...agent.tasks.values()];
    const view = (r: (typeof all)[number]) => ({
      name: r.info.name,
      task_id: r.info.task_id,
      framework_id: { value: r.frameworkId },
      executor_id: { value: r.executorId },
      agent_id: { value: agent.agentId ?? "" },
      state: r.state,
      resources: r.info.resources,
      statuses: r.latestStatus ? [r.latestStatus] : [],
    });
    return {
      launched_tasks: all.filter((r) => !isTerminalState(r.state)).map(view),
      terminated_tasks: all.filter((r) => isTerminalState(r.state)).map(view),
      completed_tasks: agent.completed.map(view),
    };
  };
  switch (type) {
    case "GET_HEALTH":
      return { type, get_health: { healthy: true } };
    case "GET_VERSION":
      return { type, get_version: { version_info: { version: state().version } } };
    case "GET_FLAGS":
      return { type, get_flags: { flags: Object.entries(deps.flags).map(([name, value]) => ({ name, value: String(value) })) } };
    case "GET_TASKS":
      return { type, get_tasks: tasks() };
    case "GET_CONTAINERS":
      return { type, get_containers: { containers: await containers(agent) } };
    default:
      return {
        type,
        get_state: {
          get_tasks: tasks(),
          get_executors: { executors: [...new Set([...agent.tasks.values()].map((r) => r.executorId))].map((id) => ({ executor_info: { executor_id: { value: id } } })) },
          get_frameworks: { frameworks: [...agent.frameworks.values()].map((f) => ({ framework_info: f })) },
        },
      };
  }
}

export function buildRouter(deps: ServerDeps): Router {
  const router = new Router();
  const state = (_q: IncomingMessage, res: ServerResponse, _p: Record<string, string>, url: URL) =>
    sendMaybeJsonp(res, url, agentState(pickAgent(deps.agents, url), deps.flags, deps.logDir));
  const monitor = async (_q: IncomingMessage, res: ServerResponse, _p: Record<string, string>, url: URL) =>
    sendMaybeJsonp(res, url, await statistics(pickAgent(deps.agents, url)));
  const health = (_q: IncomingMessage, res: ServerResponse) => sendText(res, 200, "");
  for (const prefix of ["", "/slave(1)"]) {
    router.on("GET", `${prefix}/state`, state).on("GET", `${prefix}/state.json`, state);
    router.on("GET", `${prefix}/monitor/statistics`, monitor).on("GET", `${prefix}/monitor/statistics.json`, monitor);
    router.on("GET", `${prefix}/health`, health);
    router.on("GET", `${prefix}/flags`, (_q, res, _p, url) => sendMaybeJsonp(res, url, { flags: deps.flags }));
    router.on("GET", `${prefix}/containers`, async (_q, res, _p, url) => sendMaybeJsonp(res, url, await containers(pickAgent(deps.agents, url))));
  }
  router.on("GET", "/metrics/snapshot", (_q, res, _p, url) => sendMaybeJsonp(res, url, deps.metrics.snapshot()));
  router.on("GET", "/metrics", (_q, res) => sendText(res, 200, deps.metrics.prometheus(), { "content-type": "text/plain; version=0.0.4" }));
  router.on("POST", "/api/v1", async (req, res, _p, url) => {
    const accept = req.headers["accept"];
    if (accept && !/application\/json|\*\/\*/.test(accept)) {
      throw new CaravelError("NOT_ACCEPTABLE", "caravel-agent answers /api/v1 in application/json only; send Accept: application/json");
    }
    sendJson(res, 200, await operatorCall(deps, pickAgent(deps.agents, url), await readJson(req)));
  });
  registerFiles(router, {
    roots: () => {
      const a = deps.agents[0]!;
      const roots: { slavesRoot: string; agentId?: string; logFile?: string } = { slavesRoot: slavesRoot(a.settings.workDir) };
      if (a.agentId) roots.agentId = a.agentId;
      if (deps.logFile) roots.logFile = deps.logFile;
      return roots;
    },
    attached: () => {
      const a = deps.agents[0]!;
      const out: Record<string, string> = {};
      for (const r of a.tasks.values()) {
        const dir = r.group ? r.sandbox.replace(/\/tasks\/[^/]+$/, "") : r.sandbox;
        out[`/frameworks/${r.frameworkId}/executors/${r.executorId}/runs/latest`] = dir;
        out[dir] = dir;
      }
      if (deps.logFile) out[SLAVE_LOG] = deps.logFile;
      return out;
    },
  });
  return router;
}

export interface AgentServer {
  listen(port: number, host: string): Promise<Listening>;
  close(): Promise<void>;
}

/** Builds the HTTP server; agents are started and stopped by the caller (main.ts). */
export function createServer(deps: ServerDeps): AgentServer {
  let listening: Listening | undefined;
  return {
    async listen(port, host) {
      listening = await listen(buildRouter(deps).listener(deps.log), port, host);
      return listening;
    },
    async close() {
      await listening?.close();
    },
  };
}
