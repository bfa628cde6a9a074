/** quickAccept never accepts what its schema rejects, and accepts the tasks agents really send. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { AgentTask } from "./agent-protocol.js";
import { Resource } from "./mesos/common.js";
import { TaskInfo, TaskStatus } from "./mesos/task.js";
import { quickAccept } from "./quick-accept.js";

const task = (k: number) => ({
  framework_id: { value: `fw-${k % 5}` },
  info: {
    name: `t${k}`,
    task_id: { value: `t${k}` },
    agent_id: { value: "S1" },
    resources: [
      { name: "cpus", type: "SCALAR", scalar: { value: 0.1 }, allocation_info: { role: "web" } },
      { name: "ports", type: "RANGES", ranges: { range: [{ begin: 31000, end: 31001 }] }, reservations: [{ type: "DYNAMIC", role: "web", principal: "p" }] },
    ],
    command: { shell: true, value: "sleep 1000", environment: { variables: [{ name: "A", value: "1" }] } },
    container: { type: "DOCKER", docker: { image: "busybox", network: "BRIDGE", port_mappings: [{ host_port: 31000, container_port: 80, protocol: "tcp" }] } },
    health_check: { type: "HTTP", http: { port: 80, path: "/" }, interval_seconds: 5 },
    labels: { labels: Array.from({ length: 10 }, (_, i) => ({ key: `key${i}`, value: `value${i}` })) },
    data: "aGVsbG8=",
  },
  executor_id: k % 2 ? { value: `e${k}` } : undefined,
  state: "TASK_RUNNING",
  latest_status: { task_id: { value: `t${k}` }, state: "TASK_RUNNING", source: "SOURCE_EXECUTOR", timestamp: 1_700_000_000, uuid: "dXVpZA==", healthy: true },
  pending_uuid: k === 1 ? "dXVpZA==" : undefined,
});

/** Every path into a JSON value, for mutations. */
function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(value)) return [prefix, ...value.flatMap((item, i) => paths(item, [...prefix, i]))];
  if (value !== null && typeof value === "object") return [prefix, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k]))];
  return [prefix];
}

/** `value` with the part at `path` replaced (or deleted when `replacement` is undefined). */
function mutate(value: unknown, path: Array<string | number>, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (replacement === undefined && !Array.isArray(node)) delete node[last];
  else node[last] = replacement;
  return copy;
}

const replacements = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(undefined, null, "", "TASK_SLEEPING", "SCALAR", "not base64!", -1, 1.5, 2 ** 60, "5", [], {}, true),
);

describe("quickAccept", () => {
  it("accepts the tasks agents send, which the schema accepts too", () => {
    const accepts = quickAccept(AgentTask);
    for (let k = 0; k < 4; k++) {
      expect(AgentTask.safeParse(task(k)).success).toBe(true);
      expect(accepts(task(k))).toBe(true);
    }
  });

  it("never accepts a mutated task the schema rejects", () => {
    const accepts = quickAccept(AgentTask);
    const base = task(1);
    const all = paths(base);
    let rejected = 0;
    fc.assert(
      fc.property(fc.nat(all.length - 1), replacements, (i, replacement) => {
        const value = mutate(base, all[i]!, replacement);
        const valid = AgentTask.safeParse(value).success;
        if (!valid) rejected++;
        expect(!accepts(value) || valid).toBe(true);
      }),
      { numRuns: 3000 },
    );
    expect(rejected).toBeGreaterThan(100); // the mutations reach invalid tasks often
  });

  it("never accepts arbitrary JSON a schema rejects", () => {
    for (const schema of [AgentTask, TaskInfo, TaskStatus, Resource] as z.ZodType[]) {
      const accepts = quickAccept(schema);
      fc.assert(
        fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
          expect(!accepts(value) || schema.safeParse(value).success).toBe(true);
        }),
      );
    }
  });

  it("leaves to the schema what it does not know, and follows what it does", () => {
    const refined = z.object({ a: z.string() }).refine((o) => o.a !== "no");
    expect(quickAccept(refined)({ a: "no" })).toBe(false);
    expect(quickAccept(refined)({ a: "yes" })).toBe(true);
    const coerced = z.coerce.number().int();
    expect(quickAccept(coerced)(5)).toBe(true);
    expect(quickAccept(coerced)(5.5)).toBe(false);
    expect(quickAccept(coerced)("5")).toBe(false); // not sure: the schema takes it
    expect(quickAccept(z.enum(["A", "B"]).optional().catch(undefined))("C")).toBe(true); // caught
    expect(quickAccept(z.array(z.string()).default([]))(undefined)).toBe(true);
    expect(quickAccept(z.union([z.string(), z.number()]))(false)).toBe(false);
    expect(quickAccept(z.string().regex(/^a+$/))("aa")).toBe(true);
    expect(quickAccept(z.string().regex(/^a+$/))("ab")).toBe(false);
    expect(quickAccept(z.string().min(1))("")).toBe(false);
  });

  it("never accepts what zod's finer rules reject", () => {
    const cases: Array<[z.ZodType, unknown]> = [
      [z.object({ a: z.unknown() }), {}], // a key that may not be absent
      [z.object({ a: z.union([z.string(), z.undefined()]) }), {}],
      [z.int(), 1.5], // schemas that are checks or formats
      [z.int32(), 2 ** 40],
      [z.email(), "not an email"],
      [z.uuid(), "x"],
      [z.string().min(2), "😀"], // lengths count code points
      [z.string().max(1), "ab"],
      [z.xor([z.string(), z.string().min(1)]), "a"], // exactly one option
      [z.discriminatedUnion("k", [z.object({ k: z.literal("a").catch("a") })]), { k: "zzz" }],
      [z.object({ a: z.string().exactOptional() }), { a: undefined }],
    ];
    for (const [schema, value] of cases) {
      expect(schema.safeParse(value).success).toBe(false);
      expect(quickAccept(schema)(value)).toBe(false);
    }
    enum Numeric {
      A,
      B,
    }
    expect(quickAccept(z.enum(Numeric))("A")).toBe(z.enum(Numeric).safeParse("A").success);
    expect(quickAccept(z.string().min(2))("😀😀")).toBe(true);
    expect(quickAccept(z.object({ a: z.unknown() }))({ a: undefined })).toBe(true);
  });
});
