/** Fan-out of operator events (`POST /api/v1` SUBSCRIBE) to every subscriber; each event is serialised once. */
import { toMesosJson } from "@caravel/api";
import type { EventStream } from "./stream.js";

export class OperatorBus {
  private readonly subscribers = new Set<EventStream>();

  constructor(readonly maxSubscribers = 1000) {}

  get size(): number {
    return this.subscribers.size;
  }

  add(stream: EventStream): boolean {
    if (this.subscribers.size >= this.maxSubscribers) return false;
    this.subscribers.add(stream);
    stream.onClose(() => this.subscribers.delete(stream));
    return true;
  }

  publish(event: { type: string } & Record<string, unknown>): void {
    if (this.subscribers.size === 0) return;
    const json = toMesosJson(event);
    for (const stream of this.subscribers) stream.sendRaw(json);
  }

  closeAll(): void {
    for (const stream of this.subscribers) stream.end();
  }
}
