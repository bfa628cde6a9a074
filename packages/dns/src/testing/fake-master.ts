/**
 * A stand-in master for tests and benchmarks until caravel-master lands: it serves the legacy
 * `/master/state` (from a mutable document) and the operator SUBSCRIBE stream in RecordIO, and lets
 * the test push TASK_ADDED/TASK_UPDATED events. Real HTTP on port 0, the wire shapes of
 * mesos-core.md §4.2–4.3; a non-leader mode answers 307 to another URL.
 */
import type { ServerResponse } from "node:http";
import { encodeRecord } from "@caravel/api";
import { listen, readJson, Router, sendJson, type Listening } from "@caravel/runtime";

export interface FakeMaster {
  readonly url: string;
  /** The document served at /master/state; mutate it to change what a resync sees. */
  state: Record<string, unknown>;
  /** Sends an operator event to every subscriber. */
  emit(event: Record<string, unknown>): void;
  subscribers(): number;
  /** Makes this master answer 307 to `leaderUrl` (undefined = be the leader again). */
  redirectTo(leaderUrl: string | undefined): void;
  /** Ends every subscription (as a master failover would). */
  dropSubscribers(): void;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

/** Converts the legacy state into the operator GET_STATE payload (v1 field names). */
export function getStateOf(state: Json): Json {
  const frameworks = (state["frameworks"] as Json[] | undefined) ?? [];
  const tasks = frameworks.flatMap((f) =>
    ((f["tasks"] as Json[] | undefined) ?? []).map((t) => ({
      ...t,
      task_id: { value: t["id"] },
      framework_id: { value: f["id"] },
      agent_id: { value: t["slave_id"] },
    })),
  );
  return {
    get_tasks: { tasks },
    get_frameworks: { frameworks: frameworks.map((f) => ({ framework_info: { ...f, id: { value: f["id"] }, tasks: undefined } })) },
    get_agents: {
      agents: ((state["slaves"] as Json[] | undefined) ?? []).map((s) => ({ agent_info: { id: { value: s["id"] }, hostname: s["hostname"], port: s["port"] }, pid: s["pid"] })),
    },
  };
}

export async function startFakeMaster(initial: Json): Promise<FakeMaster> {
  const streams = new Set<ServerResponse>();
  let redirect: string | undefined;
  const router = new Router()
    .on("GET", "/master/state", (_req, res) => {
      if (redirect) return void res.writeHead(307, { location: `${redirect}/master/state` }).end();
      sendJson(res, 200, master.state);
    })
    .on("POST", "/api/v1", async (req, res) => {
      if (redirect) return void res.writeHead(307, { location: `${redirect}/api/v1` }).end();
      const call = (await readJson(req)) as Json;
      if (call["type"] !== "SUBSCRIBE") return sendJson(res, 400, { message: "only SUBSCRIBE here" });
      res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
      res.write(encodeRecord(JSON.stringify({ type: "SUBSCRIBED", subscribed: { get_state: getStateOf(master.state), heartbeat_interval_seconds: 15 } })));
      streams.add(res);
      res.on("close", () => streams.delete(res));
      return undefined;
    });
  const server: Listening = await listen(router.listener(), 0);
  const master: FakeMaster = {
    url: server.url,
    state: initial,
    emit(event) {
      const record = encodeRecord(JSON.stringify(event));
      for (const res of streams) res.write(record);
    },
    subscribers: () => streams.size,
    redirectTo(url) {
      redirect = url;
    },
    dropSubscribers() {
      for (const res of streams) res.end();
      streams.clear();
    },
    close: () => {
      master.dropSubscribers();
      return server.close();
    },
  };
  return master;
}
