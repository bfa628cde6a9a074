/** The chunk writer: whatever the mix of pieces, the bytes out are the pieces in order. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChunkWriter, collectingSink, type ByteSink } from "./chunk-writer.js";

const piece = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 40 }).map((s) => ({ text: s })),
  fc.integer({ min: 1, max: 400_000 }).map((n) => ({ bytes: Buffer.alloc(n, n % 251) })),
  fc.integer({ min: 1, max: 400_000 }).map((n) => ({ text: "é".repeat(n) })),
);

describe("ChunkWriter", () => {
  it("writes text as UTF-8 and bytes as they are, in order", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 30 }), async (pieces) => {
        const { sink, result } = collectingSink();
        const w = new ChunkWriter(sink);
        for (const p of pieces) {
          if ("text" in p) await w.text(p.text);
          else await w.bytes(p.bytes);
        }
        await w.end();
        const expected = Buffer.concat(pieces.map((p) => ("text" in p ? Buffer.from(p.text, "utf8") : p.bytes)));
        expect(result().equals(expected)).toBe(true);
        expect(w.written).toBe(expected.length);
      }),
      { numRuns: 60 },
    );
  });

  it("reuses released chunks without corrupting bytes still held by the sink", async () => {
    const held: Buffer[] = [];
    const copies: Buffer[] = [];
    const sink: ByteSink = (chunk, release) => {
      held.push(chunk);
      copies.push(Buffer.from(chunk));
      release?.();
    };
    const w = new ChunkWriter(sink);
    for (let i = 0; i < 5000; i++) await w.text(`{"n":${i},"pad":"${"x".repeat(700)}"},`);
    await w.end();
    // Released chunks were refilled, so only the copies taken at write time are meaningful.
    expect(Buffer.concat(copies).toString()).toBe(Array.from({ length: 5000 }, (_, i) => `{"n":${i},"pad":"${"x".repeat(700)}"},`).join(""));
    expect(held.length).toBeGreaterThan(2);
    await expect(w.text("late")).rejects.toThrow(/after end/);
  });

  it("lets the event loop turn during a long write", async () => {
    const { sink } = collectingSink();
    const w = new ChunkWriter(sink, 0);
    let turned = false;
    setImmediate(() => (turned = true));
    for (let i = 0; i < 3 && !turned; i++) await w.text("[1,2,3]");
    expect(turned).toBe(true);
  });
});
