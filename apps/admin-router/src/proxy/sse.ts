/**
 * Filtering a server-sent event stream event by event: events are split on blank lines, their
 * `data:` lines joined and parsed as JSON, and passed on only when `keep` says so. Comments and
 * keep-alives pass through at once, so that heartbeats still reach the client.
 */
import { Transform, type TransformCallback } from "node:stream";

export class SseFilter extends Transform {
  private buffer = "";

  constructor(private readonly keep: (data: unknown, event: string | undefined) => boolean) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.buffer += chunk.toString("utf8");
    let end: number;
    while ((end = this.nextBoundary()) !== -1) {
      const block = this.buffer.slice(0, end);
      const sep = /^\r?\n\r?\n/.exec(this.buffer.slice(end))![0];
      this.buffer = this.buffer.slice(end + sep.length);
      if (this.allowed(block)) this.push(block + sep);
    }
    if (this.buffer.length > 16 * 1024 * 1024) {
      done(new Error("server-sent event larger than 16 MiB"));
      return;
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.buffer && this.allowed(this.buffer)) this.push(this.buffer);
    done();
  }

  private nextBoundary(): number {
    const m = /\r?\n\r?\n/.exec(this.buffer);
    return m ? m.index : -1;
  }

  private allowed(block: string): boolean {
    const lines = block.split(/\r?\n/);
    const data = lines.filter((l) => l.startsWith("data:")).map((l) => l.slice(5).replace(/^ /, ""));
    if (data.length === 0) return true;
    const event = lines.find((l) => l.startsWith("event:"))?.slice(6).trim();
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.join("\n"));
    } catch {
      // Unparseable data cannot be checked, so it is withheld rather than leaked.
      return false;
    }
    return this.keep(parsed, event);
  }
}
