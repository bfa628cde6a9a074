/**
 * The status update manager's bookkeeping (mesos-core.md §3.3), without timers or I/O: one ordered
 * stream per task; only the head is in flight; an ACKNOWLEDGE whose uuid matches the head pops it and
 * makes the next one current. Retries back off from `retryMs` doubling to `maxRetryMs`.
 */
import type { TaskStatus } from "@caravel/api";

export interface PendingUpdate {
  frameworkId: string;
  status: TaskStatus;
}

interface Stream {
  frameworkId: string;
  queue: TaskStatus[];
  /** When the head was last sent (ms), undefined while not sent since (re)connection. */
  sentAt?: number;
  retryMs: number;
}

export const MAX_RETRY_MS = 10 * 60 * 1000;

/** Next backoff: double, capped. */
export const nextRetry = (ms: number, max = MAX_RETRY_MS): number => Math.min(max, ms * 2);

export class StatusStreams {
  private readonly streams = new Map<string, Stream>();

  constructor(private readonly firstRetryMs = 10_000, private readonly maxRetryMs = MAX_RETRY_MS) {}

  /** Appends an update; returns true when it is the head (so it should be sent now). */
  enqueue(taskId: string, frameworkId: string, status: TaskStatus): boolean {
    let stream = this.streams.get(taskId);
    if (!stream) {
      stream = { frameworkId, queue: [], retryMs: this.firstRetryMs };
      this.streams.set(taskId, stream);
    }
    stream.queue.push(status);
    return stream.queue.length === 1;
  }

  head(taskId: string): TaskStatus | undefined {
    return this.streams.get(taskId)?.queue[0];
  }

  /** Unacknowledged updates of a task, head first. */
  pending(taskId: string): readonly TaskStatus[] {
    return this.streams.get(taskId)?.queue ?? [];
  }

  /**
   * Applies an acknowledgement. `matched` is false for a stale or unknown uuid (Mesos ignores those);
   * `next` is the update to send now, if any.
   */
  acknowledge(taskId: string, uuid: string): { matched: boolean; next?: TaskStatus } {
    const stream = this.streams.get(taskId);
    if (!stream || stream.queue[0]?.uuid !== uuid) return { matched: false };
    stream.queue.shift();
    stream.sentAt = undefined;
    stream.retryMs = this.firstRetryMs;
    if (stream.queue.length === 0) {
      this.streams.delete(taskId);
      return { matched: true };
    }
    return { matched: true, next: stream.queue[0]! };
  }

  /** Whether the head was sent since it became the head (or since the last `heads()`). */
  sent(taskId: string): boolean {
    return this.streams.get(taskId)?.sentAt !== undefined;
  }

  /** Records that the head was sent at `now`. */
  markSent(taskId: string, now: number): void {
    const stream = this.streams.get(taskId);
    if (stream) stream.sentAt = now;
  }

  /** Heads whose retry is due at `now`; each returned head's backoff is doubled and its clock reset. */
  due(now: number): Array<{ taskId: string; frameworkId: string; status: TaskStatus }> {
    const out: Array<{ taskId: string; frameworkId: string; status: TaskStatus }> = [];
    for (const [taskId, stream] of this.streams) {
      if (stream.sentAt === undefined || now - stream.sentAt < stream.retryMs) continue;
      stream.retryMs = nextRetry(stream.retryMs, this.maxRetryMs);
      stream.sentAt = now;
      out.push({ taskId, frameworkId: stream.frameworkId, status: stream.queue[0]! });
    }
    return out;
  }

  /** Every head, e.g. to resend after re-subscribing; resets backoffs. */
  heads(): Array<{ taskId: string; frameworkId: string; status: TaskStatus }> {
    const out: Array<{ taskId: string; frameworkId: string; status: TaskStatus }> = [];
    for (const [taskId, stream] of this.streams) {
      stream.retryMs = this.firstRetryMs;
      stream.sentAt = undefined;
      out.push({ taskId, frameworkId: stream.frameworkId, status: stream.queue[0]! });
    }
    return out;
  }

  /** Forgets a task's stream (framework shut down, agent removed). */
  drop(taskId: string): void {
    this.streams.delete(taskId);
  }

  get size(): number {
    return this.streams.size;
  }

  /** Restores streams from a checkpoint. */
  restore(taskId: string, frameworkId: string, queue: readonly TaskStatus[]): void {
    if (queue.length === 0) return;
    this.streams.set(taskId, { frameworkId, queue: [...queue], retryMs: this.firstRetryMs });
  }
}
