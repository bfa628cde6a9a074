import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Tree, type JournalRecord } from "./tree.js";

type Op =
  | { kind: "put"; path: string; data: string; expected?: number }
  | { kind: "create"; path: string; ephemeral: boolean; sequential: boolean }
  | { kind: "delete"; path: string; recursive: boolean };

const segment = fc.constantFrom("a", "b", "c");
const path = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => `/${s.join("/")}`);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("put" as const),
    path,
    data: fc.string({ maxLength: 5 }),
    expected: fc.option(fc.integer({ min: -1, max: 2 }), { nil: undefined }),
  }),
  fc.record({
    kind: fc.constant("create" as const),
    path,
    ephemeral: fc.boolean(),
    sequential: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("delete" as const), path, recursive: fc.boolean() }),
);

function apply(tree: Tree, o: Op): JournalRecord[] {
  try {
    if (o.kind === "put") return tree.put(o.path, Buffer.from(o.data), o.expected).effects.records;
    if (o.kind === "create") return tree.create(o.path, Buffer.from("x"), { ...o, owner: 1 }).effects.records;
    return tree.delete(o.path, { recursive: o.recursive }).effects.records;
  } catch {
    return []; // refused operations change nothing
  }
}

describe("Tree", () => {
  it("replaying the journal, or the snapshot, rebuilds the persistent tree exactly", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const live = new Tree();
        const journal: JournalRecord[] = [];
        for (const o of ops) journal.push(...apply(live, o));
        const fromJournal = new Tree();
        for (const r of journal) fromJournal.replay(r);
        const fromSnapshot = new Tree();
        for (const r of live.snapshot()) fromSnapshot.replay(r);
        expect(fromJournal.snapshot()).toEqual(live.snapshot());
        expect(fromSnapshot.snapshot()).toEqual(live.snapshot());
        // Replaying twice (a crash between snapshot and truncation) changes nothing.
        for (const r of journal) fromSnapshot.replay(r);
        expect(fromSnapshot.snapshot()).toEqual(live.snapshot());
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a version mismatch without changing anything", () => {
    const tree = new Tree();
    tree.put("/x", Buffer.from("1"));
    expect(() => tree.put("/x", Buffer.from("2"), 5)).toThrow(/version 0, not 5/);
    expect(tree.get("/x")).toEqual({ data: Buffer.from("1"), version: 0 });
  });

  it("reports created parents, the node and the children changes", () => {
    const tree = new Tree();
    const { effects } = tree.put("/a/b", Buffer.from("1"));
    expect(effects.events).toEqual([
      { type: "created", path: "/a" },
      { type: "created", path: "/a/b" },
    ]);
    expect([...effects.childrenChanged].sort()).toEqual(["/", "/a", "/a/b"]);
  });
});
