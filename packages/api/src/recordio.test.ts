import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RecordIODecoder, encodeRecord, encodeRecordText } from "./recordio.js";

/** Splits a buffer at arbitrary cut points. */
function split(buffer: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buffer.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let last = 0;
  for (const p of points) {
    chunks.push(buffer.subarray(last, p));
    last = p;
  }
  chunks.push(buffer.subarray(last));
  return chunks;
}

describe("RecordIO", () => {
  it("frames a record with its byte length, not its character length", () => {
    expect(encodeRecord('{"a":"é"}').toString("utf8")).toBe('10\n{"a":"é"}');
    expect(encodeRecordText('{"a":"é"}')).toBe('10\n{"a":"é"}');
  });

  it("decodes records split across and coalesced within chunks, multi-byte characters included", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "grapheme", minLength: 1 }), { minLength: 1, maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), (records, cuts) => {
        const stream = Buffer.concat(records.map(encodeRecord));
        const decoder = new RecordIODecoder();
        const out = split(stream, cuts).flatMap((chunk) => decoder.decode(chunk));
        expect(out).toEqual(records);
        expect(decoder.idle).toBe(true);
      }),
    );
  });

  it("rejects a corrupt length header instead of buffering forever", () => {
    expect(() => new RecordIODecoder().decode(Buffer.from("abc\n{}"))).toThrow(/invalid record length/);
    expect(() => new RecordIODecoder().decode(Buffer.from("1".repeat(30)))).toThrow(/longer than 20 bytes/);
  });
});
