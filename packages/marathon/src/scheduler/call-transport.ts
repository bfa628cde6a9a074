/**
 * Scheduler calls (ACKNOWLEDGE, ACCEPT, KILL, …) over a few pipelined keep-alive connections.
 *
 * Why not the generic client's `sub.call` (fetch): a mass launch makes two ACKNOWLEDGEs per task, and
 * a profile of 10,000 launches showed fetch's per-request machinery (Request/Headers objects, abort
 * signals, web streams) as Marathon's largest cost. Pipelined HTTP/1.1 on a few sockets (pipeline.ts)
 * costs a fraction of that, in CPU and in syscalls on both ends. Anything out of the ordinary (a redirect to another leader, a refused
 * token, an https master) is handed back to `fallback` — the generic client, which follows redirects
 * and carries credentials — and, after a 401, every later call goes that way too.
 */
import { CaravelError, type SchedulerSubscription } from "@caravel/api";
import { PipelinedConnection } from "./pipeline.js";

export type Call = Parameters<SchedulerSubscription["call"]>[0];

export interface CallTransportOptions {
  /** Base URL of the master that accepted the subscription. */
  masterUrl: string;
  streamId: string;
  frameworkId: string;
  /** The generic path (follows redirects, adds credentials). */
  fallback: (call: Call) => Promise<void>;
  /** Pipelined connections to the master. */
  connections?: number;
}

export class CallTransport {
  private readonly pool: PipelinedConnection[];
  private readonly url: URL;
  private useFallback: boolean;
  /** Calls answered by the fast path and by the fallback (for tests and metrics). */
  readonly counts = { fast: 0, fallback: 0 };

  constructor(private readonly o: CallTransportOptions) {
    this.url = new URL("/api/v1/scheduler", o.masterUrl);
    this.useFallback = this.url.protocol !== "http:";
    const port = Number(this.url.port || 80);
    this.pool = Array.from({ length: o.connections ?? 4 }, () => new PipelinedConnection(this.url.hostname.replace(/^\[|\]$/g, ""), port));
  }

  /** Sends one call; resolves on 202/200, rejects with the master's message otherwise. */
  async call(call: Call): Promise<void> {
    if (this.useFallback) return this.viaFallback(call);
    const body = JSON.stringify({ ...call, framework_id: { value: this.o.frameworkId } });
    const head = `POST ${this.url.pathname} HTTP/1.1\r\nHost: ${this.url.host}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nMesos-Stream-Id: ${this.o.streamId}\r\n\r\n`;
    let connection = this.pool[0]!;
    for (const c of this.pool) if (c.inFlight < connection.inFlight) connection = c;
    let answer;
    try {
      answer = await connection.request(head, body);
    } catch (error) {
      throw new CaravelError("UPSTREAM_UNAVAILABLE", `${call.type} to ${this.url.origin} failed: ${(error as Error).message}`, { cause: error });
    }
    if (answer.status === 202 || answer.status === 200) {
      this.counts.fast++;
      return;
    }
    // 401/403: the master wants credentials, which only the generic client carries. 307: another
    // master leads now; the generic client follows (the driver re-subscribes when the stream ends).
    if (answer.status === 401 || answer.status === 403) this.useFallback = true;
    if (answer.status === 401 || answer.status === 403 || answer.status === 307 || answer.status === 308) return this.viaFallback(call);
    throw new CaravelError("UPSTREAM_UNAVAILABLE", `${call.type} answered ${answer.status}: ${answer.body.slice(0, 300)}`);
  }

  close(): void {
    for (const c of this.pool) c.close();
  }

  private async viaFallback(call: Call): Promise<void> {
    this.counts.fallback++;
    await this.o.fallback(call);
  }
}
