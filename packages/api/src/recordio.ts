/**
 * RecordIO as the Mesos HTTP APIs frame streams: `<byte length>\n<payload>`, repeated, no separator.
 * Lengths count UTF-8 bytes. The decoder accepts records split across chunks and several records in
 * one chunk.
 */

/** Frames one record as text, for writers that take strings (an event stream: no Buffers per event). */
export function encodeRecordText(payload: string): string {
  return `${Buffer.byteLength(payload, "utf8")}\n${payload}`;
}

/** Frames one record. The payload is expected to be ASCII-safe JSON but any text works. */
export function encodeRecord(payload: string): Buffer {
  return Buffer.from(encodeRecordText(payload), "utf8");
}

/** Incremental decoder: feed chunks, get whole records back as strings. */
export class RecordIODecoder {
  private buffered: Buffer = Buffer.alloc(0);
  private expected: number | undefined;

  /** Largest record accepted; a corrupt length fails loudly instead of buffering forever. */
  constructor(private readonly maxRecordBytes = 256 * 1024 * 1024) {}

  decode(chunk: Uint8Array): string[] {
    this.buffered = this.buffered.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffered, chunk]);
    const records: string[] = [];
    for (;;) {
      if (this.expected === undefined) {
        const newline = this.buffered.indexOf(0x0a);
        if (newline === -1) {
          if (this.buffered.length > 20) throw new Error("RecordIO: record length header is longer than 20 bytes");
          break;
        }
        const header = this.buffered.subarray(0, newline).toString("ascii");
        if (!/^\d+$/.test(header)) throw new Error(`RecordIO: invalid record length ${JSON.stringify(header)}`);
        const length = Number(header);
        if (length > this.maxRecordBytes) throw new Error(`RecordIO: record of ${length} bytes exceeds the limit`);
        this.expected = length;
        this.buffered = this.buffered.subarray(newline + 1);
      }
      if (this.buffered.length < this.expected) break;
      records.push(this.buffered.subarray(0, this.expected).toString("utf8"));
      this.buffered = this.buffered.subarray(this.expected);
      this.expected = undefined;
    }
    return records;
  }

  /** True when no partial record is buffered. */
  get idle(): boolean {
    return this.expected === undefined && this.buffered.length === 0;
  }
}

/** Decodes a whole stream of chunks into parsed JSON records. */
export async function* readRecords(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<unknown> {
  const decoder = new RecordIODecoder();
  for await (const chunk of chunks) {
    for (const record of decoder.decode(chunk)) yield JSON.parse(record);
  }
}
