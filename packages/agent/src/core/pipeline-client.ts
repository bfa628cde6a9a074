/**
 * A minimal pipelined HTTP/1.1 client for the agent's calls to the master (UPDATE, PONG …): a few
 * persistent sockets per master, requests written back to back, responses matched in order. A
 * process simulating thousands of agents sends tens of thousands of small POSTs; node:http's
 * per-request objects cost several times more CPU and garbage than writing the bytes ourselves.
 * Anything unexpected (a malformed response, a closed socket) fails the requests in flight, which
 * callers retry (status updates are retried until acknowledged).
 */
import { connect, type Socket } from "node:net";

export interface PipelineResult {
  status: number;
  body: string;
}

interface Pending {
  resolve(r: PipelineResult): void;
  reject(e: Error): void;
}

const CRLF2 = Buffer.from("\r\n\r\n");

class Connection {
  private socket: Socket | undefined;
  private readonly pending: Pending[] = [];
  private buf: Buffer = Buffer.alloc(0);

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  get inFlight(): number {
    return this.pending.length;
  }

  send(head: string, body: Buffer): Promise<PipelineResult> {
    return new Promise((resolve, reject) => {
      const socket = this.ensure();
      this.pending.push({ resolve, reject });
      socket.write(Buffer.concat([Buffer.from(head, "latin1"), body]));
    });
  }

  close(): void {
    this.socket?.destroy();
  }

  private ensure(): Socket {
    if (this.socket && !this.socket.destroyed) return this.socket;
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    socket.setKeepAlive(true, 30_000);
    this.buf = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    const fail = (error?: Error) => {
      if (this.socket === socket) this.socket = undefined;
      const err = error ?? new Error(`connection to ${this.host}:${this.port} closed`);
      for (const p of this.pending.splice(0)) p.reject(err);
    };
    socket.on("error", fail);
    socket.on("close", () => fail());
    this.socket = socket;
    return socket;
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      const end = this.buf.indexOf(CRLF2);
      if (end === -1) return;
      const head = this.buf.subarray(0, end).toString("latin1");
      const lines = head.split("\r\n");
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "");
      if (!m) return this.abort(`malformed response from ${this.host}:${this.port}: ${JSON.stringify(lines[0])}`);
      let length = -1;
      let chunked = false;
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(":");
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (name === "content-length") length = Number(value);
        if (name === "transfer-encoding" && /chunked/i.test(value)) chunked = true;
      }
      const start = end + 4;
      let body: Buffer;
      let consumed: number;
      if (chunked) {
        const parsed = parseChunked(this.buf, start);
        if (!parsed) return; // wait for more
        ({ body, consumed } = parsed);
      } else {
        const n = length < 0 ? 0 : length;
        if (this.buf.length < start + n) return;
        body = this.buf.subarray(start, start + n);
        consumed = start + n;
      }
      this.buf = this.buf.subarray(consumed);
      this.pending.shift()?.resolve({ status: Number(m[1]), body: body.toString("utf8") });
    }
  }

  private abort(message: string): void {
    this.socket?.destroy(new Error(message));
  }
}

/** Decodes a chunked body starting at `start`; undefined until it is complete. */
function parseChunked(buf: Buffer, start: number): { body: Buffer; consumed: number } | undefined {
  const parts: Buffer[] = [];
  let pos = start;
  for (;;) {
    const eol = buf.indexOf("\r\n", pos);
    if (eol === -1) return undefined;
    const size = parseInt(buf.subarray(pos, eol).toString("latin1"), 16);
    if (!Number.isFinite(size)) throw new Error("malformed chunked encoding");
    if (size === 0) {
      const trailerEnd = buf.indexOf("\r\n", eol + 2);
      if (trailerEnd === -1) return undefined;
      return { body: Buffer.concat(parts), consumed: trailerEnd + 2 };
    }
    if (buf.length < eol + 2 + size + 2) return undefined;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
}

/** Pipelined POSTs to one origin (http only) over `sockets` connections. */
export class PipelineClient {
  private readonly connections: Connection[];
  private readonly hostHeader: string;

  constructor(origin: string, sockets = 4) {
    const u = new URL(origin);
    if (u.protocol !== "http:") throw new Error(`PipelineClient speaks http only, not ${u.protocol}`);
    const port = Number(u.port || 80);
    this.hostHeader = u.host;
    this.connections = Array.from({ length: sockets }, () => new Connection(u.hostname, port));
  }

  post(path: string, json: string, headers: Record<string, string> = {}): Promise<PipelineResult> {
    const body = Buffer.from(json, "utf8");
    let head = `POST ${path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    head += "\r\n";
    // The least busy socket, so that one slow answer does not hold up the rest.
    let best = this.connections[0]!;
    for (const c of this.connections) if (c.inFlight < best.inFlight) best = c;
    return best.send(head, body);
  }

  close(): void {
    for (const c of this.connections) c.close();
  }
}

const clients = new Map<string, PipelineClient>();

/** One shared client per master origin in this process (simulated agents share it). */
export function pipelineFor(origin: string): PipelineClient {
  let c = clients.get(origin);
  if (!c) {
    c = new PipelineClient(origin);
    clients.set(origin, c);
  }
  return c;
}
