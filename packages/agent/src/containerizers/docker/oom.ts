/**
 * OOM evidence from the engine's event stream. `State.OOMKilled` alone is racy on engine 20.10: when
 * the OOM killer hits a child of the container's main process (with `Init: true` it always is a
 * child of tini), the exit can be recorded without the flag. The engine emits an `oom` event before
 * `die`, so a containerizer-wide event subscription (plus a look back through the engine's event
 * history for containers that ended while no agent watched) settles the question.
 */
import type Docker from "dockerode";
import { LABEL } from "./docker-spec.js";

interface EngineEvent {
  id?: string;
  Actor?: { ID?: string };
}

export class OomWatch {
  private readonly seen = new Set<string>();
  private stream: (NodeJS.ReadableStream & { destroy(): void }) | undefined;
  private starting: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly docker: Docker) {}

  /** Subscribes once to `oom` events of Caravel's containers; later calls are free. */
  start(): Promise<void> {
    this.starting ??= this.subscribe();
    return this.starting;
  }

  /** Whether an OOM event was seen for the container, waiting up to `graceMs` for a late one. */
  async wasOomKilled(dockerId: string, graceMs: number): Promise<boolean> {
    const deadline = Date.now() + graceMs;
    while (!this.seen.has(dockerId) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    return this.seen.has(dockerId);
  }

  /** Looks through the engine's event history (for containers that ended while no agent watched). */
  async inHistory(dockerId: string, sinceSeconds: number): Promise<boolean> {
    const options = {
      since: Math.max(0, Math.floor(sinceSeconds) - 1),
      until: Math.ceil(Date.now() / 1000),
      filters: { container: [dockerId], event: ["oom"] },
    };
    const stream = (await this.docker.getEvents(options as unknown as Docker.GetEventsOptions)) as NodeJS.ReadableStream;
    let text = "";
    for await (const chunk of stream) text += String(chunk);
    return text.includes('"oom"');
  }

  stop(): void {
    this.stopped = true;
    this.stream?.destroy();
  }

  private async subscribe(): Promise<void> {
    const options = { filters: { type: ["container"], event: ["oom"], label: [LABEL.containerId] } };
    const stream = (await this.docker.getEvents(options as unknown as Docker.GetEventsOptions)) as NodeJS.ReadableStream & { destroy(): void };
    if (this.stopped) {
      stream.destroy();
      return;
    }
    this.stream = stream;
    let buffer = "";
    stream.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (line === "") continue;
        try {
          const event = JSON.parse(line) as EngineEvent;
          const id = event.Actor?.ID ?? event.id;
          if (id) this.seen.add(id);
        } catch {
          // Not JSON: ignore the line.
        }
      }
    });
    stream.on("error", () => undefined);
    // The engine went away: subscribe again on the next launch or recovery.
    stream.on("close", () => {
      if (!this.stopped) this.starting = undefined;
    });
  }
}
