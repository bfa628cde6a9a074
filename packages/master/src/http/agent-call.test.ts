/** AgentCallParser: large calls parsed on the worker thread give exactly what inline parsing gives. */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CaravelError } from "@caravel/api";
import { taskDetails, UnreadCalls, type DeferredDetails, type TaskDetails } from "../state/reported-task.js";
import { AgentCallParser, parseAgentCall, readAgentCall, type ParsedAgentCall, type PendingCall, type ReadCall } from "./agent-call.js";

// Tests run from source, where the parser works inline; the worker is the built one.
const BUILT_WORKER = new URL("../../dist/http/agent-call-worker.js", import.meta.url);
if (!existsSync(fileURLToPath(BUILT_WORKER))) throw new Error(`${fileURLToPath(BUILT_WORKER)} is missing: build first (pnpm -r build)`);

/** A SUBSCRIBE large enough (≥ 4 KiB) to go to the worker. */
function subscribe(taskName = (k: number) => `task-${k}`, state = "TASK_RUNNING"): Buffer {
  const tasks = Array.from({ length: 20 }, (_, k) => ({
    framework_id: { value: "fw-1" },
    info: { name: taskName(k), task_id: { value: `t-${k}` }, agent_id: { value: "S1" }, resources: [{ name: "cpus", type: "SCALAR", scalar: { value: 0.1 } }] },
    state,
  }));
  const frameworks = [{ user: "root", name: "f", id: { value: "fw-1" }, checkpoint: true }];
  return Buffer.from(JSON.stringify({ type: "SUBSCRIBE", subscribe: { agent_info: { hostname: "h", port: 5051, resources: [], id: { value: "S1" } }, ip: "127.0.0.1", tasks, frameworks } }));
}

/** A parsed call with its tasks' details and FrameworkInfos as objects, however they came. */
function resolved({ call, tasks, frameworks }: ParsedAgentCall): ParsedAgentCall {
  const subscribe = call.subscribe && frameworks ? { ...call.subscribe, frameworks: frameworks() } : call.subscribe;
  return { call: { ...call, subscribe }, tasks: tasks.map((t) => ({ ...t, details: taskDetails(t) })) };
}

const inline = (body: Buffer) => resolved(readAgentCall(body));

it("reads a call's tasks the same whether their details are parsed at once or left in the body", () => {
  const body = subscribe();
  const objects = inline(body);
  const fromBody = readAgentCall(body, new UnreadCalls());
  expect(fromBody.tasks[3]!.details).toMatchObject({ index: 3 });
  expect(resolved(fromBody)).toEqual(objects);
  // Tasks the quick check is not sure of (a number sent as a string) go through the schema, alike.
  const numericString = Buffer.from(body.toString().replace('"value":0.1', '"value":"0.1"'));
  expect(resolved(readAgentCall(numericString, new UnreadCalls()))).toEqual(objects);
  // What the schema rejects is rejected, naming the field.
  expect(() => readAgentCall(subscribe(undefined, "TASK_SLEEPING"), new UnreadCalls())).toThrow(/subscribe\.tasks\.0\.state/);
});

it("leaves a worker-parsed SUBSCRIBE's FrameworkInfos in its body until asked for", async () => {
  await withParser(async (parser) => {
    const parsed = await submitted(parser, subscribe());
    expect(parsed.call.subscribe!.frameworks).toEqual([]);
    expect(parsed.frameworks!()).toEqual(inline(subscribe()).call.subscribe!.frameworks);
    expect(parsed.frameworks!()[0]!.name).toBe("f");
  });
});

/** Runs `test` with a parser on `worker` (the built one), closed afterwards. */
async function withParser(test: (parser: AgentCallParser) => Promise<void>, worker = BUILT_WORKER): Promise<void> {
  const parser = new AgentCallParser(worker);
  try {
    await test(parser);
  } finally {
    await parser.close();
  }
}

/** The call as its reader gives it (its tasks' details not read); `then` gets the pending call. */
function submitted(parser: AgentCallParser, body: Buffer, then?: (call: PendingCall) => void): Promise<ParsedAgentCall> {
  return new Promise((resolve, reject) => {
    const call = parser.submit(body, (error, read?: ReadCall) => {
      if (error) reject(error);
      else {
        try {
          resolve(read!());
        } catch (invalid) {
          reject(invalid);
        }
      }
    });
    then?.(call);
  });
}

const parse = (parser: AgentCallParser, body: Buffer): Promise<ParsedAgentCall> => submitted(parser, body).then(resolved);

describe("AgentCallParser", () => {
  it("parses a large SUBSCRIBE on the worker into exactly the inline result", async () => {
    await withParser(async (parser) => {
      await parser.warmUp(); // started ahead, as a standby master does
      const body = subscribe();
      expect(body.length).toBeGreaterThan(4096);
      // More than it holds at once: the rest wait, and it takes them in turn.
      const calls = await Promise.all(Array.from({ length: 300 }, () => parse(parser, body)));
      for (const call of calls) expect(call).toEqual(inline(body));
      expect(parser.parsedOffThread).toBe(300);
      // Alike resource lists arrive as one array, shared by the call's tasks.
      expect(calls[0]!.tasks[0]!.resources).toBe(calls[0]!.tasks[1]!.resources);
      // Text JSON would mangle travels as a structured clone, still equal.
      const nullish = subscribe((k) => `null-${k}`);
      expect(await parse(parser, nullish)).toEqual(inline(nullish));
    });
  });

  it("answers a large invalid call with the 400 that names the field", async () => {
    await withParser(async (parser) => {
      const error = await parse(parser, subscribe(undefined, "TASK_SLEEPING")).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CaravelError);
      expect((error as CaravelError).code).toBe("INVALID_REQUEST");
      expect((error as CaravelError).message).toMatch(/subscribe\.tasks\.0\.state/);
      const malformed = await parse(parser, Buffer.from(`{"type":"SUBSCRIBE",${" ".repeat(5000)}`)).catch((e: unknown) => e);
      expect((malformed as CaravelError).code).toBe("MALFORMED_JSON");
    });
  });

  it("lets the main thread take calls still waiting for the worker, and forgets dropped ones", async () => {
    await withParser(async (parser) => {
      const body = subscribe();
      const results: Array<Promise<ParsedAgentCall>> = [];
      const calls = Array.from({ length: 600 }, () => {
        let call!: PendingCall;
        results.push(new Promise((resolve, reject) => (call = parser.submit(body, (error, read) => (error ? reject(error) : resolve(resolved(read!())))))));
        return call;
      });
      let dropped = false;
      parser.drop(calls[599]!);
      void results[599]!.then(() => (dropped = true));
      // The main thread takes every other call the worker has not started on.
      for (const [i, call] of calls.slice(0, 599).entries()) if (i % 2 === 0) parser.takeInline(call);
      for (const call of await Promise.all(results.slice(0, 599))) expect(call).toEqual(inline(body));
      expect(parser.parsedOffThread).toBeLessThan(599);
      expect(parser.parsedOffThread).toBeGreaterThanOrEqual(299);
      expect(dropped).toBe(false);
    });
  });

  it("leaves a call to the worker when it is about to reach it", async () => {
    await withParser(async (parser) => {
      await parser.warmUp();
      const parsed = submitted(parser, subscribe(), (call) => parser.takeInline(call)); // the worker has nothing else to do
      expect(resolved(await parsed)).toEqual(inline(subscribe()));
      expect(parser.parsedOffThread).toBe(1);
    });
  });

  it("has the worker parse the tasks' details the main thread has not read, once calls stop coming", async () => {
    await withParser(async (parser) => {
      await parser.warmUp();
      const body = subscribe();
      const parsed = await submitted(parser, body);
      const { call } = parsed.tasks[0]!.details as DeferredDetails;
      expect(call.text).toBeDefined();
      await new Promise((resolve) => setTimeout(resolve, 1600)); // a second without calls, then the worker's answer
      expect(call.text).toBeUndefined();
      const details = resolved(parsed);
      expect(details).toEqual(inline(body));
      const info = (k: number) => (details.tasks[k]!.details as TaskDetails).info;
      expect(info(0).resources).toBe(info(1).resources); // alike lists one array, as when parsed here
    });
  });

  it("settles a warm-up the parser is closed during", async () => {
    const parser = new AgentCallParser(BUILT_WORKER);
    const ready = parser.warmUp();
    await parser.close();
    await ready;
  });

  it("accepts null as unset, with or without the word elsewhere", () => {
    const call = parseAgentCall('{"type":"PONG","agent_id":{"value":"a"},"update":null}');
    expect(call.type).toBe("PONG");
    expect(call.update).toBeUndefined();
    expect(parseAgentCall('{"type":"PONG","agent_id":{"value":"a"}}')).toEqual({ type: "PONG", agent_id: { value: "a" } });
  });

  it("parses inline when the worker cannot start", async () => {
    await withParser(async (parser) => {
      const body = subscribe();
      const calls = await Promise.all([parse(parser, body), parse(parser, body)]);
      for (const call of calls) expect(call).toEqual(inline(body));
      expect(parser.parsedOffThread).toBe(0);
      // Once it has failed, every call waits for the main thread.
      await parser.warmUp();
      let read: ReadCall | undefined;
      const call = parser.submit(body, (_error, reader) => (read = reader));
      expect(read).toBeUndefined();
      parser.takeInline(call);
      expect(resolved(read!())).toEqual(inline(body));
    }, new URL("./no-such-worker.js", BUILT_WORKER));
  });
});
