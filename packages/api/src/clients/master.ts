/** A typed client of the master's operator API (`/api/v1`) and legacy JSON endpoints. */
import { RecordIODecoder } from "../recordio.js";
import type { OperatorCallType, OperatorEvent } from "../mesos/operator.js";
import { expectOk, fetchFollowingLeader, getJson, postJson, type HttpOptions } from "./http.js";

export interface MasterClient {
  readonly url: string;
  /** An operator call; returns the parsed JSON response (`{}` for empty 200/202 answers). */
  call<T = Record<string, unknown>>(type: OperatorCallType, payload?: Record<string, unknown>): Promise<T>;
  /** The operator event stream: SUBSCRIBED with a snapshot, then deltas and heartbeats. */
  subscribe(signal?: AbortSignal): AsyncGenerator<OperatorEvent>;
  /** `GET /master/state` (legacy JSON). */
  state<T = Record<string, unknown>>(): Promise<T>;
  get<T = unknown>(path: string): Promise<T>;
}

export function createMasterClient(url: string, options: HttpOptions = {}): MasterClient {
  const base = url.replace(/\/+$/, "");
  return {
    url: base,
    async call(type, payload) {
      const key = type.toLowerCase();
      const response = await postJson(`${base}/api/v1`, payload ? { type, [key]: payload } : { type }, options);
      const text = await response.text();
      return (text ? JSON.parse(text) : {}) as never;
    },
    async *subscribe(signal) {
      const raw = await fetchFollowingLeader(
        `${base}/api/v1`,
        { method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: '{"type":"SUBSCRIBE"}', signal },
        { ...options, timeoutMs: undefined },
      );
      const response = await expectOk(raw);
      const decoder = new RecordIODecoder();
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          for (const record of decoder.decode(chunk)) yield JSON.parse(record) as OperatorEvent;
        }
      } catch (error) {
        if ((error as Error).name !== "AbortError") throw error;
      }
    },
    state: () => getJson(`${base}/master/state`, options),
    get: (path) => getJson(`${base}${path.startsWith("/") ? path : `/${path}`}`, options),
  };
}
