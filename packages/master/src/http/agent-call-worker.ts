/** The worker thread of AgentCallParser (agent-call.ts): parses and validates large agent calls. */
import { parentPort } from "node:worker_threads";
import { CaravelError } from "@caravel/api";
import { parseAgentCall, type WorkerAnswer } from "./agent-call.js";

const port = parentPort!;
port.on("message", ({ id, text }: { id: number; text: string }) => {
  let answer: WorkerAnswer;
  try {
    const call = parseAgentCall(text);
    const json = JSON.stringify(call);
    // Nulls were stripped on the way in: a "null" in the text is a value JSON cannot carry (±Infinity)
    // or text that merely contains the word; either way the call travels as a structured clone.
    answer = json.includes("null") ? { id, call } : { id, json };
  } catch (error) {
    const e = error instanceof CaravelError ? error : new CaravelError("MALFORMED_JSON", (error as Error).message);
    answer = { id, error: { code: e.code, message: e.message, path: e.path } };
  }
  port.postMessage(answer);
});
