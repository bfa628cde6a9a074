/**
 * A tiny master that speaks Caravel's agent protocol, for the agent's own tests (the real master is
 * tested against the agent in integration tests). It records calls, can acknowledge updates itself,
 * and can drop streams to simulate a master restart.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import { AGENT_API_PATH, AgentCall, describeZodError, encodeRecord } from "@caravel/api";
import { listen, readJson, sendJson, type Listening } from "@caravel/runtime";

export interface RecordedUpdate {
  frameworkId: string;
  taskId: string;
  state: string;
  uuid?: string;
  healthy?: boolean;
  reason?: string;
  message?: string;
  latestState?: string;
  status: Record<string, unknown>;
}

/** A SUBSCRIBE call as recorded (the agent always sends the `subscribe` body with it). */
export type SubscribeCall = AgentCall & { subscribe: NonNullable<AgentCall["subscribe"]> };

export class FakeMaster {
  readonly subscribes: SubscribeCall[] = [];
  readonly updates: RecordedUpdate[] = [];
  readonly pongs: number[] = [];
  autoAck = true;
  /** Called for every UPDATE as it arrives (benchmarks count without polling). */
  onUpdate: ((update: RecordedUpdate) => void) | undefined;
  private server: Listening | undefined;
  private streams = new Map<string, { res: ServerResponse; agentId: string }>();
  private nextAgent = 0;
  private pinger: ReturnType<typeof setInterval> | undefined;

  get url(): string {
    return this.server!.url;
  }

  get hostPort(): string {
    return this.server!.url.replace("http://", "");
  }

  async start(port = 0): Promise<this> {
    this.server = await listen((req, res) => void this.handle(req, res), port);
    // As the real master does, so that agents' silence watchdogs stay quiet in long runs.
    this.pinger = setInterval(() => this.send({ type: "PING" }), 10_000);
    this.pinger.unref();
    return this;
  }

  /** Sends an event to every connected agent (or the one with `agentId`). */
  send(event: Record<string, unknown>, agentId?: string): void {
    for (const s of this.streams.values()) if (!agentId || s.agentId === agentId) s.res.write(encodeRecord(JSON.stringify(event)));
  }

  get connected(): number {
    return this.streams.size;
  }

  /** Ends all streams (the agent sees its master go away and re-subscribes). */
  dropStreams(): void {
    for (const s of this.streams.values()) s.res.end();
    this.streams.clear();
  }

  async close(): Promise<void> {
    if (this.pinger) clearInterval(this.pinger);
    this.dropStreams();
    await this.server?.close();
  }

  statesOf(taskId: string): string[] {
    return this.updates.filter((u) => u.taskId === taskId).map((u) => u.state);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "POST" || !req.url?.startsWith(AGENT_API_PATH)) return sendJson(res, 404, { message: "not found" });
    let body: unknown;
    try {
      body = await readJson(req);
    } catch (error) {
      return sendJson(res, 400, { message: (error as Error).message });
    }
    const parsed = (AgentCall as unknown as { safeParse(v: unknown): { success: true; data: unknown } | { success: false; error: Parameters<typeof describeZodError>[0] } }).safeParse(body);
    if (!parsed.success) return sendJson(res, 400, { message: describeZodError(parsed.error) });
    const call = parsed.data as AgentCall;
    if (call.type === "SUBSCRIBE") {
      this.subscribes.push(call as SubscribeCall);
      const agentId: string = call.agent_id?.value ?? `fake-S${this.nextAgent++}`;
      const streamId = randomUUID();
      res.writeHead(200, { "content-type": "application/recordio", "mesos-stream-id": streamId });
      this.streams.set(streamId, { res, agentId });
      res.on("close", () => this.streams.delete(streamId));
      res.write(
        encodeRecord(
          JSON.stringify({
            type: "SUBSCRIBED",
            subscribed: { agent_id: { value: agentId }, master_info: { id: "fake", ip: 16777343, port: 5050, hostname: "fake-master" }, ping_interval_seconds: 15 },
          }),
        ),
      );
      return;
    }
    const streamId = req.headers["mesos-stream-id"];
    const stream = typeof streamId === "string" ? this.streams.get(streamId) : undefined;
    if (!stream) return sendJson(res, 400, { message: "unknown Mesos-Stream-Id" });
    res.writeHead(202).end();
    if (call.type === "PONG") this.pongs.push(Date.now());
    if (call.type === "UPDATE" && call.update) {
      const u = call.update;
      const s = u.status;
      const rec: RecordedUpdate = { frameworkId: u.framework_id.value, taskId: s.task_id.value, state: s.state, status: s, latestState: u.latest_state };
      if (s.uuid) rec.uuid = s.uuid;
      if (s.healthy !== undefined) rec.healthy = s.healthy;
      if (s.reason) rec.reason = s.reason;
      if (s.message) rec.message = s.message;
      this.updates.push(rec);
      this.onUpdate?.(rec);
      if (this.autoAck && s.uuid) {
        this.send({ type: "ACKNOWLEDGE", acknowledge: { framework_id: u.framework_id, task_id: s.task_id, uuid: s.uuid } }, stream.agentId);
      }
    }
  }
}

/** Polls `check` until it returns a truthy value (generous timeout: loaded 2-core machine). */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
