/** The worker thread of AgentCallParser (agent-call.ts): parses and validates large agent calls. */
import { parentPort } from "node:worker_threads";
import { CaravelError } from "@caravel/api";
import { readAgentCall, type WorkerAnswer } from "./agent-call.js";

const port = parentPort!;
port.on("message", ({ id, text }: { id: number; text: string }) => {
  let answer: WorkerAnswer;
  try {
    const parsed = readAgentCall(text, true);
    // Each task's details travel as a string of their own (copied, not parsed, on the way), so that
    // the main thread parses only the rest and a task's details when they are first read.
    const details = parsed.tasks.map((t) => t.details as string);
    const json = JSON.stringify({ call: parsed.call, tasks: parsed.tasks.map((t) => ({ ...t, details: "" })) });
    // Nulls were stripped on the way in: a "null" in the text is a value JSON cannot carry (±Infinity)
    // or text that merely contains the word; either way the call travels as a structured clone.
    answer = json.includes("null") || details.some((d) => d.includes("null")) ? { id, parsed: readAgentCall(text) } : { id, json, details };
  } catch (error) {
    const e = error instanceof CaravelError ? error : new CaravelError("MALFORMED_JSON", (error as Error).message);
    answer = { id, error: { code: e.code, message: e.message, path: e.path } };
  }
  port.postMessage(answer);
});
