/** The worker thread of AgentCallParser (agent-call.ts): parses and validates large agent calls. */
import { parentPort } from "node:worker_threads";
import { CaravelError } from "@caravel/api";
import { encodeForMain, readAgentCall, type WorkerAnswer, type WorkerMessage } from "./agent-call.js";

const port = parentPort!;
port.postMessage({ ready: true } satisfies WorkerMessage);
port.on("message", ({ id, text }: { id: number; text: string }) => {
  let answer: WorkerAnswer;
  try {
    const parsed = readAgentCall(text);
    const encoded = encodeForMain(parsed);
    // What text cannot carry travels as a structured clone.
    answer = encoded ? { id, ...encoded } : { id, parsed };
  } catch (error) {
    const e = error instanceof CaravelError ? error : new CaravelError("MALFORMED_JSON", (error as Error).message);
    answer = { id, error: { code: e.code, message: e.message, path: e.path } };
  }
  port.postMessage(answer);
});
