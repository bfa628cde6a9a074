/**
 * A small pipelined HTTP/1.1 connection for scheduler calls: requests are written back to back on one
 * socket and answered in order. Writes made in the same turn of the event loop leave in one syscall
 * (the socket is corked until the next turn), so the master reads a burst of ACKNOWLEDGEs with one
 * read and answers them with one write. On loopback every write runs the whole TCP path of both ends,
 * so during a mass launch the number of writes, not the bytes, is what costs.
 * Anything unexpected (a malformed answer, a closed socket) fails the calls in flight; the caller
 * decides about retrying (status updates are re-sent until acknowledged).
 */
import { connect, type Socket } from "node:net";

export interface PipelineAnswer {
  status: number;
  body: string;
}

interface Pending {
  resolve(answer: PipelineAnswer): void;
  reject(error: Error): void;
}

const HEAD_END = Buffer.from("\r\n\r\n");

/** Parses one complete response at the start of `buf`; undefined when more bytes are needed. */
export function parseResponse(buf: Buffer): { answer: PipelineAnswer; used: number; close: boolean } | undefined {
  const headEnd = buf.indexOf(HEAD_END);
  if (headEnd < 0) return undefined;
  const head = buf.toString("latin1", 0, headEnd);
  const lines = head.split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "")?.[1]);
  if (!status) throw new Error(`malformed HTTP status line: ${JSON.stringify(lines[0]?.slice(0, 80))}`);
  let length = 0;
  let close = false;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "content-length") length = Number(value);
    else if (name === "transfer-encoding" && value.toLowerCase() !== "identity") throw new Error(`unexpected transfer-encoding ${value}`);
    else if (name === "connection" && value.toLowerCase() === "close") close = true;
  }
  const start = headEnd + HEAD_END.length;
  if (buf.length < start + length) return undefined;
  return { answer: { status, body: buf.toString("utf8", start, start + length) }, used: start + length, close };
}

export class PipelinedConnection {
  private socket: Socket | undefined;
  private readonly pending: Pending[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private uncorkScheduled = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  get inFlight(): number {
    return this.pending.length;
  }

  /** Sends `head` (request line and headers, ending in an empty line) and `body`. */
  request(head: string, body: string): Promise<PipelineAnswer> {
    return new Promise((resolve, reject) => {
      const socket = this.ensure();
      this.pending.push({ resolve, reject });
      if (!this.uncorkScheduled) {
        this.uncorkScheduled = true;
        socket.cork();
        setImmediate(() => {
          this.uncorkScheduled = false;
          socket.uncork();
        });
      }
      socket.write(head + body);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.fail(new Error("connection closed"));
  }

  private ensure(): Socket {
    if (this.socket && !this.socket.destroyed) return this.socket;
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    socket.setKeepAlive(true, 30_000);
    this.socket = socket;
    this.buf = Buffer.alloc(0);
    this.uncorkScheduled = false;
    socket.on("data", (chunk: Buffer) => this.onData(socket, chunk));
    socket.on("error", (error) => this.drop(socket, error));
    socket.on("close", () => this.drop(socket, new Error(`connection to ${this.host}:${this.port} closed`)));
    return socket;
  }

  private drop(socket: Socket, error: Error): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    socket.destroy();
    this.fail(error);
  }

  private fail(error: Error): void {
    for (const p of this.pending.splice(0)) p.reject(error);
  }

  private onData(socket: Socket, chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    try {
      for (;;) {
        const parsed = parseResponse(this.buf);
        if (!parsed) return;
        this.buf = this.buf.subarray(parsed.used);
        const p = this.pending.shift();
        if (!p) throw new Error("an answer nobody asked for");
        p.resolve(parsed.answer);
        if (parsed.close) return this.drop(socket, new Error("the master closed the connection"));
      }
    } catch (error) {
      this.drop(socket, error as Error);
    }
  }
}
