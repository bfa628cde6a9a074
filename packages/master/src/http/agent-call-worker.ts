/** The worker thread of AgentCallParser (agent-call.ts): parses and validates large agent calls. */
import { parentPort } from "node:worker_threads";
import { CaravelError } from "@caravel/api";
import { encodeForMain, readAgentCall, UNCLAIMED, WORKER, type ToWorker, type WorkerAnswer, type WorkerMessage } from "./agent-call.js";

const port = parentPort!;
port.postMessage({ ready: true } satisfies WorkerMessage);
port.on("message", ({ id, body, claim }: ToWorker) => {
  if (Atomics.compareExchange(claim, 0, UNCLAIMED, WORKER) !== UNCLAIMED) return; // the main thread has it
  let answer: WorkerAnswer;
  try {
    const parsed = readAgentCall(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    const encoded = encodeForMain(parsed);
    // What text cannot carry travels as a structured clone.
    answer = encoded ? { id, ...encoded } : { id, parsed };
  } catch (error) {
    const e = error instanceof CaravelError ? error : new CaravelError("MALFORMED_JSON", (error as Error).message);
    answer = { id, error: { code: e.code, message: e.message, path: e.path } };
  }
  port.postMessage(answer);
});
