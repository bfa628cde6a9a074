/**
 * Streams a large JSON document as big Buffers: text (cached task blocks, framework heads) is encoded
 * straight into a 1 MiB chunk, cached agent Buffers are copied in, and only Buffers of 64 KiB or more
 * go out as they are. A few hundred large writes cost the HTTP stack and the socket far less than
 * hundreds of thousands of small ones.
 *
 * Full chunks come from a small pool and go back to it once the socket is done with them: fresh
 * megabytes on every request count as external memory, and V8 answers external memory growth with
 * full mark-compact collections of the master's heap, which at Mesos' benchmark size (≈0.5 GiB of
 * task records) cost more than writing the whole document.
 */

/**
 * Receives finished chunks; a returned promise applies backpressure. `release`, when given, must be
 * called once the bytes are no longer needed (e.g. from the socket write's callback).
 */
export type ByteSink = (chunk: Buffer, release?: () => void) => void | Promise<void>;

const CHUNK_BYTES = 1 << 20;
/** Pieces at least this big are written as they are instead of being copied into the chunk. */
const DIRECT_BYTES = 64 << 10;
const POOL_MAX = 32;
const pool: Buffer[] = [];

function takeChunk(): Buffer {
  return pool.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES);
}

export class ChunkWriter {
  private chunk = takeChunk();
  private used = 0;
  private ended = false;
  private readonly ready: Array<{ bytes: Buffer; release?: () => void }> = [];
  /** Bytes handed to the sink so far (for logs and tests). */
  written = 0;

  private lastTurn = performance.now();

  /**
   * `sliceMs`: the longest stretch the writer keeps the event loop before it lets other work run.
   * Serialising a cold cache takes seconds at Mesos' size, and a master that answered nothing else
   * meanwhile would miss agent pings and, in HA mode, its ZooKeeper session.
   */
  constructor(
    private readonly sink: ByteSink,
    private readonly sliceMs = 15,
  ) {}

  /**
   * Appends text as UTF-8 without waiting. Returns true when chunks are waiting to be shipped (the
   * caller then awaits `ship()`): tight loops over thousands of agents need not await each piece.
   */
  appendText(s: string): boolean {
    if (this.ended) throw new Error("ChunkWriter used after end(): its chunk is back in the pool");
    // A UTF-16 code unit never takes more than 3 bytes in UTF-8, so this bound is safe without measuring.
    if (this.used + s.length * 3 > CHUNK_BYTES) {
      this.seal();
      if (s.length * 3 > CHUNK_BYTES) {
        this.ready.push({ bytes: Buffer.from(s, "utf8") });
        return true;
      }
    }
    this.used += this.chunk.write(s, this.used, "utf8");
    return this.ready.length > 0;
  }

  /** Appends bytes that the caller keeps unchanged (cached fragments): large ones are not copied. */
  appendBytes(b: Buffer): boolean {
    if (this.ended) throw new Error("ChunkWriter used after end(): its chunk is back in the pool");
    if (b.length >= DIRECT_BYTES) {
      this.seal();
      this.ready.push({ bytes: b });
      return true;
    }
    if (this.used + b.length > CHUNK_BYTES) this.seal();
    b.copy(this.chunk, this.used);
    this.used += b.length;
    return this.ready.length > 0;
  }

  async text(s: string): Promise<void> {
    if (this.appendText(s)) await this.ship();
    if (performance.now() - this.lastTurn >= this.sliceMs) await this.yieldTurn();
  }

  async bytes(b: Buffer): Promise<void> {
    if (this.appendBytes(b)) await this.ship();
    if (performance.now() - this.lastTurn >= this.sliceMs) await this.yieldTurn();
  }

  /** Lets timers and I/O run (an awaited promise alone only lets other microtasks run). */
  private async yieldTurn(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.lastTurn = performance.now();
  }

  /** Sends everything appended so far. */
  async flush(): Promise<void> {
    this.seal();
    await this.ship();
  }

  /** Sends everything and gives the writer's chunk back to the pool; the writer is not used again. */
  async end(): Promise<void> {
    await this.flush();
    this.ended = true;
    if (pool.length < POOL_MAX) pool.push(this.chunk);
  }

  /** Sends the chunks that are ready, waiting whenever the sink asks to. */
  async ship(): Promise<void> {
    while (this.ready.length > 0) {
      const { bytes, release } = this.ready.shift()!;
      this.written += bytes.length;
      await this.sink(bytes, release);
    }
  }

  /**
   * Moves the current chunk to the ready list. A well-filled chunk is handed over whole (and comes
   * back to the pool when released); a nearly empty one (the `,"tasks":[` between two cached
   * blocks) is copied out instead, so that the chunk stays in use.
   */
  private seal(): void {
    if (this.used === 0) return;
    if (this.used < DIRECT_BYTES) {
      const out = Buffer.allocUnsafe(this.used);
      this.chunk.copy(out, 0, 0, this.used);
      this.ready.push({ bytes: out });
    } else {
      const chunk = this.chunk;
      this.ready.push({ bytes: chunk.subarray(0, this.used), release: () => void (pool.length < POOL_MAX && pool.push(chunk)) });
      this.chunk = takeChunk();
    }
    this.used = 0;
  }
}

/** Collects a streamed document in memory (tests). */
export function collectingSink(): { sink: ByteSink; result: () => Buffer } {
  const parts: Buffer[] = [];
  return { sink: (b) => void parts.push(b), result: () => Buffer.concat(parts) };
}
