/**
 * The agent's connection to the master (Caravel's agent protocol, packages/api agent-protocol.ts):
 * POST SUBSCRIBE and read the RecordIO event stream; POST other calls with the stream id (both over
 * node:http: thousands of simulated agents share one process, and fetch costs more per stream). Follows
 * 307s to the leader, reconnects with a random backoff that doubles up to a minute (the first tries
 * stay fast so that master restarts heal quickly), and gives up on a stream that stays silent for
 * five ping intervals (a half-open connection would otherwise look alive forever).
 */
import type { AgentEvent } from "@caravel/api";
import { AGENT_API_PATH, AgentEvent as AgentEventSchema, RecordIODecoder, defaultAuthorizationValue, describeZodError } from "@caravel/api";
import type { Logger } from "@caravel/runtime";
import { openStream, postJson } from "./http-post.js";
import { pipelineFor } from "./pipeline-client.js";

/**
 * A call posted on the stream (UPDATE, PONG …), shaped as packages/api's AgentCall. Declared loosely
 * here because the full AgentCall type is too deep for the compiler to check at every call site.
 */
export interface OutgoingCall {
  type: "UPDATE" | "UPDATE_RESOURCES" | "PONG" | "UNSUBSCRIBE";
  agent_id?: { value: string };
  [field: string]: unknown;
}

export interface MasterLinkOptions {
  /** Base URLs tried in turn (http://host:port), or a function giving the current ones (zk://). */
  masters: string[] | (() => string[]);
  /** Builds the SUBSCRIBE call afresh for every attempt (it carries the current tasks). */
  subscribeCall: () => unknown;
  onEvent: (event: AgentEvent) => void;
  onDisconnected?: () => void;
  backoffFactorMs: number;
  maxBackoffMs?: number;
  log: Logger;
}

/** Random delay in [0, min(max, factor·2^attempt)], as Mesos' registration backoff. */
export function backoffDelay(attempt: number, factorMs: number, maxMs: number, random = Math.random): number {
  return Math.floor(random() * Math.min(maxMs, factorMs * 2 ** Math.min(attempt, 30)));
}

const isId = (v: unknown): v is { value: string } => typeof (v as { value?: unknown } | null)?.value === "string" && (v as { value: string }).value !== "";

/**
 * PING and ACKNOWLEDGE are most of the traffic and tiny: checked by hand instead of through the zod
 * schema (the same rules: ids non-empty, uuid a string). Anything else returns undefined.
 */
export function fastEvent(raw: unknown): AgentEvent | undefined {
  const e = raw as { type?: unknown; acknowledge?: { framework_id?: unknown; task_id?: unknown; uuid?: unknown } } | null;
  if (e?.type === "PING") return { type: "PING" } as AgentEvent;
  if (e?.type === "ACKNOWLEDGE") {
    const a = e.acknowledge;
    if (a && isId(a.framework_id) && isId(a.task_id) && typeof a.uuid === "string") {
      return { type: "ACKNOWLEDGE", acknowledge: { framework_id: { value: a.framework_id.value }, task_id: { value: a.task_id.value }, uuid: a.uuid } } as AgentEvent;
    }
  }
  return undefined;
}

export class MasterLink {
  private stopped = false;
  private abort: AbortController | undefined;
  private streamId: string | undefined;
  private leader: string | undefined;
  private subscribed = false;
  private loop: Promise<void> | undefined;
  private silenceMs = 75_000;
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  private leaderChanged = false;
  private wake: (() => void) | undefined;
  /** `token=<JWT>` of the agent's service account for this session, when it has one. */
  private authorization: string | undefined;

  constructor(private readonly opts: MasterLinkOptions) {}

  get connected(): boolean {
    return this.subscribed;
  }

  /** The master currently serving this agent (after redirects). */
  get masterUrl(): string | undefined {
    return this.leader;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    if (this.watchdog) clearTimeout(this.watchdog);
    await this.loop?.catch(() => undefined);
  }

  /** Drops the current stream so that the agent re-subscribes (e.g. after an ERROR event). */
  reconnect(): void {
    this.abort?.abort();
    // A new leader is known: try it now instead of finishing a backoff grown while there was none.
    this.leaderChanged = true;
    this.wake?.();
  }

  /** Sets the silence limit from SUBSCRIBED's ping interval. */
  setPingInterval(seconds: number): void {
    this.silenceMs = Math.max(5_000, seconds * 5 * 1000);
    if (this.watchdog && this.abort) this.armWatchdog(this.abort);
  }

  /** POSTs a call on the current stream; false when not connected or the master refused it. */
  async send(call: OutgoingCall): Promise<boolean> {
    if (!this.subscribed || !this.leader || !this.streamId) return false;
    try {
      const body = JSON.stringify(call);
      const headers: Record<string, string> = this.authorization ? { "mesos-stream-id": this.streamId, authorization: this.authorization } : { "mesos-stream-id": this.streamId };
      const r = this.leader.startsWith("http:")
        ? await pipelineFor(this.leader).post(AGENT_API_PATH, body, headers)
        : await postJson(`${this.leader}${AGENT_API_PATH}`, body, headers);
      if (r.status === 202 || (r.status >= 200 && r.status < 300)) return true;
      this.opts.log.warn({ status: r.status, body: r.body.slice(0, 500), call: call.type }, "master refused a call");
      // A redirect means leadership moved: re-subscribe to find the new leader.
      // A redirect means leadership moved, a 401 an expired or revoked token: re-subscribe (with a fresh one).
      if (r.status === 307 || r.status === 401) this.reconnect();
      return false;
    } catch (error) {
      this.opts.log.debug({ err: error, call: call.type }, "call to master failed");
      return false;
    }
  }

  private armWatchdog(abort: AbortController): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => abort.abort(), this.silenceMs);
    this.watchdog.unref?.();
  }

  private async run(): Promise<void> {
    let attempt = 0;
    let index = 0;
    while (!this.stopped) {
      const masters = typeof this.opts.masters === "function" ? this.opts.masters() : this.opts.masters;
      const base = masters[index % Math.max(1, masters.length)];
      index++;
      const gotSubscribed = await (base === undefined ? Promise.resolve(false) : this.session(base)).catch((error: unknown) => {
        this.opts.log.debug({ err: error, master: base }, "master connection failed");
        return false;
      });
      const wasSubscribed = this.subscribed;
      this.subscribed = false;
      this.streamId = undefined;
      if (this.watchdog) clearTimeout(this.watchdog);
      if (wasSubscribed) this.opts.onDisconnected?.();
      if (this.stopped) break;
      attempt = gotSubscribed || this.leaderChanged ? 0 : attempt + 1;
      const delayMs = this.leaderChanged ? 0 : backoffDelay(attempt, this.opts.backoffFactorMs, this.opts.maxBackoffMs ?? 60_000);
      this.leaderChanged = false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** One subscription: resolves when the stream ends; true if SUBSCRIBED was received. */
  private async session(base: string): Promise<boolean> {
    const abort = new AbortController();
    this.abort = abort;
    if (this.stopped) return false;
    // In a cluster with --service_account_uid: the account's IAM token, fetched once per session.
    // IAM unreachable: try without one (a master that checks tokens answers 401, and we retry).
    this.authorization = await defaultAuthorizationValue().catch((error: unknown) => {
      this.opts.log.warn({ err: error }, "cannot get the service account's token; subscribing without one");
      return undefined;
    });
    const stream = await openStream(`${base}${AGENT_API_PATH}`, JSON.stringify(this.opts.subscribeCall()), abort.signal, 5, this.authorization ? { authorization: this.authorization } : {});
    if (stream.status !== 200) {
      const chunks: Buffer[] = [];
      for await (const c of stream.response) chunks.push(c as Buffer);
      this.opts.log.warn({ status: stream.status, body: Buffer.concat(chunks).toString("utf8").slice(0, 500), master: stream.url }, "master refused SUBSCRIBE");
      return false;
    }
    this.leader = new URL(stream.url).origin;
    this.streamId = stream.streamId;
    this.armWatchdog(abort);
    const decoder = new RecordIODecoder();
    let got = false;
    try {
      for await (const chunk of stream.response as AsyncIterable<Buffer>) {
        this.watchdog?.refresh();
        for (const record of decoder.decode(chunk)) {
          const raw = JSON.parse(record) as unknown;
          const fast = fastEvent(raw);
          if (fast) {
            this.opts.onEvent(fast);
            continue;
          }
          const parsed = AgentEventSchema.safeParse(raw);
          if (!parsed.success) {
            this.opts.log.warn({ error: describeZodError(parsed.error) }, "ignoring a malformed event from the master");
            continue;
          }
          if (parsed.data.type === "SUBSCRIBED") {
            got = true;
            this.subscribed = true;
          }
          this.opts.onEvent(parsed.data);
        }
      }
    } catch (error) {
      if (!abort.signal.aborted) throw error;
    }
    return got;
  }
}
