/**
 * A Mesos v1 scheduler client: subscribes, streams events, follows redirects to the leading master,
 * and sends calls with the stream id. Used by Caravel's own frameworks (Marathon, jobs) and by tests.
 */
import { CaravelError } from "../errors.js";
import { RecordIODecoder } from "../recordio.js";
import type { FrameworkInfo } from "../mesos/framework.js";
import { Event, type CallType } from "../mesos/scheduler.js";
import { expectOk, fetchFollowingLeader, type HttpOptions } from "./http.js";

/**
 * A call as a scheduler writes it (`framework_id` is added for you). Typed loosely on purpose: the
 * full Call type is too deep for TypeScript to check object literals against; the master validates.
 */
type CallInput = { type: CallType } & Record<string, unknown>;

export interface SchedulerSubscription {
  readonly frameworkId: string;
  readonly streamId: string;
  /** Base URL of the master that accepted the subscription (the leader). */
  readonly masterUrl: string;
  readonly heartbeatIntervalSeconds: number;
  /** Events after SUBSCRIBED, in order. Ends when the stream closes. */
  readonly events: AsyncIterable<Event>;
  /** Sends a call on this subscription (202 expected). */
  call(call: CallInput): Promise<void>;
  close(): void;
}

export interface SubscribeOptions extends HttpOptions {
  frameworkInfo: Partial<FrameworkInfo> & Pick<FrameworkInfo, "user" | "name">;
  suppressedRoles?: string[];
}

/**
 * Subscribes to the leading master. `masters` may be one URL or a static list (comma-separated or an
 * array): each is tried in turn until one answers (a follower redirects to the leader; a master that
 * is down or has no leader yet is skipped).
 */
export async function subscribeScheduler(masters: string | readonly string[], options: SubscribeOptions): Promise<SchedulerSubscription> {
  const urls = (typeof masters === "string" ? masters.split(",") : [...masters]).map((u) => u.trim()).filter(Boolean);
  let lastError: unknown = new CaravelError("INVALID_REQUEST", "no master URL given");
  for (const url of urls) {
    try {
      return await subscribeOne(url, options);
    } catch (error) {
      const retryable = error instanceof CaravelError && (error.code === "UPSTREAM_UNAVAILABLE" || error.code === "NO_LEADER");
      if (!retryable) throw error;
      lastError = error;
    }
  }
  throw lastError;
}

async function subscribeOne(masterUrl: string, options: SubscribeOptions): Promise<SchedulerSubscription> {
  const controller = new AbortController();
  const frameworkId = options.frameworkInfo.id?.value;
  const body = {
    type: "SUBSCRIBE",
    ...(frameworkId ? { framework_id: { value: frameworkId } } : {}),
    subscribe: { framework_info: options.frameworkInfo, suppressed_roles: options.suppressedRoles ?? [] },
  };
  const raw = await fetchFollowingLeader(
    `${trimSlash(masterUrl)}/api/v1/scheduler`,
    {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
      signal: controller.signal,
    },
    { ...options, timeoutMs: undefined },
  );
  const response = await expectOk(raw);
  const leaderUrl = new globalThis.URL(raw.url).origin;
  const streamId = response.headers.get("mesos-stream-id") ?? "";
  if (!response.body) throw new CaravelError("UPSTREAM_UNAVAILABLE", "SUBSCRIBE answered without a body");

  const events = decodeEvents(response.body);
  const first = await events.next();
  if (first.done) throw new CaravelError("UPSTREAM_UNAVAILABLE", "subscription stream closed before SUBSCRIBED");
  if (first.value.type === "ERROR") {
    controller.abort();
    throw new CaravelError("INVALID_REQUEST", `SUBSCRIBE failed: ${first.value.error?.message ?? "unknown error"}`);
  }
  const subscribed = first.value.subscribed;
  if (first.value.type !== "SUBSCRIBED" || !subscribed) {
    throw new CaravelError("UPSTREAM_UNAVAILABLE", `expected SUBSCRIBED, got ${first.value.type}`);
  }
  const id = subscribed.framework_id.value;
  return {
    frameworkId: id,
    streamId,
    masterUrl: leaderUrl,
    heartbeatIntervalSeconds: subscribed.heartbeat_interval_seconds ?? 15,
    events: { [Symbol.asyncIterator]: () => events },
    call: async (call) => {
      const res = await fetchFollowingLeader(
        `${leaderUrl}/api/v1/scheduler`,
        {
          method: "POST",
          headers: { "content-type": "application/json", "mesos-stream-id": streamId },
          body: JSON.stringify({ ...call, framework_id: { value: id } }),
        },
        options,
      );
      await expectOk(res);
      await res.response.body?.cancel();
    },
    close: () => controller.abort(),
  };
}

async function* decodeEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<Event> {
  const decoder = new RecordIODecoder();
  try {
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      for (const record of decoder.decode(chunk)) yield Event.parse(JSON.parse(record));
    }
  } catch (error) {
    if ((error as Error).name === "AbortError") return;
    throw error;
  }
}

const trimSlash = (url: string) => url.replace(/\/+$/, "");
