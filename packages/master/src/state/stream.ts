/**
 * A RecordIO event stream over an HTTP response, as Mesos serves scheduler, operator and agent
 * streams: chunked, one record per write, compact ASCII-escaped JSON, periodic HEARTBEATs.
 */
import type { ServerResponse } from "node:http";
import { encodeRecordText, toMesosJson } from "@caravel/api";

export class EventStream {
  private heartbeat: NodeJS.Timeout | undefined;
  private closedFlag = false;
  private readonly closeListeners: Array<() => void> = [];

  constructor(
    private readonly res: ServerResponse,
    headers: Record<string, string> = {},
  ) {
    res.writeHead(200, { "content-type": "application/json", "cache-control": "no-cache", ...headers });
    // Corked: the headers leave in one write with the events of this turn (an agent's SUBSCRIBED),
    // not in one of their own (10,000 agents re-registering: 10,000 writes fewer).
    this.cork();
    res.flushHeaders();
    res.socket?.setNoDelay(true);
    res.socket?.setKeepAlive(true, 10_000);
    res.on("close", () => this.markClosed());
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Sends one event; returns false when the stream is gone. */
  send(event: unknown): boolean {
    if (this.closedFlag) return false;
    this.write(encodeRecordText(toMesosJson(event)));
    return true;
  }

  /** Sends a pre-serialised JSON record (for fan-out of one event to many streams). */
  sendRaw(json: string): boolean {
    if (this.closedFlag) return false;
    this.write(encodeRecordText(json));
    return true;
  }

  private corked = false;

  /**
   * Events written in the same turn of the event loop leave in one write: during a mass launch a
   * framework's stream carries thousands of UPDATEs a second, and on loopback each write syscall
   * runs both ends' TCP path, so batching them is what keeps the master from spending its time there.
   */
  private write(record: string): void {
    this.cork();
    this.res.write(record);
  }

  private cork(): void {
    if (this.corked) return;
    this.corked = true;
    this.res.cork();
    setImmediate(() => {
      this.corked = false;
      this.res.uncork();
    });
  }

  /**
   * Writes what this turn has queued now instead of at the end of the turn: a new framework's
   * first OFFERS event leaves while the master still builds the rest of a 1,000-offer cycle.
   */
  flush(): void {
    if (!this.corked) return;
    this.corked = false;
    this.res.uncork();
  }

  startHeartbeats(intervalMs: number, event: unknown = { type: "HEARTBEAT" }): void {
    this.heartbeat = setInterval(() => this.send(event), intervalMs);
    this.heartbeat.unref();
  }

  onClose(listener: () => void): void {
    if (this.closedFlag) listener();
    else this.closeListeners.push(listener);
  }

  /** Ends the stream from our side (e.g. after an ERROR event or on failover). */
  end(): void {
    if (!this.closedFlag) this.res.end();
    this.markClosed();
  }

  private markClosed(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}
