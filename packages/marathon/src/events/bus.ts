/**
 * The event bus behind `/v2/events`: publishers emit Marathon events, each SSE subscriber receives
 * those whose type it asked for. Slow subscribers are dropped rather than buffering without bound.
 */
import type { MarathonEvent, MarathonEventType } from "@caravel/api";

export type Subscriber = (event: MarathonEvent) => void;

export class EventBus {
  private readonly subscribers = new Set<{ types?: ReadonlySet<string>; fn: Subscriber }>();
  /** Counts events by type (for /metrics). */
  readonly counts = new Map<string, number>();

  constructor(private readonly clock: () => number = Date.now) {}

  /** Publishes an event stamped with the current time. */
  emit(eventType: MarathonEventType, fields: Record<string, unknown> = {}): void {
    const event = { ...fields, eventType, timestamp: new Date(this.clock()).toISOString() } as MarathonEvent;
    this.counts.set(eventType, (this.counts.get(eventType) ?? 0) + 1);
    for (const s of this.subscribers) {
      if (s.types && !s.types.has(eventType)) continue;
      try {
        s.fn(event);
      } catch {
        // A failing subscriber must not stop the others; it unsubscribes itself on close.
      }
    }
  }

  /** Subscribes to all events, or only to `types`. Returns the unsubscribe function. */
  subscribe(fn: Subscriber, types?: readonly string[]): () => void {
    const entry = { fn, ...(types && types.length ? { types: new Set(types) } : {}) };
    this.subscribers.add(entry);
    return () => this.subscribers.delete(entry);
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }
}
