/** The worker thread of AgentCallParser (agent-call.ts): parses and validates large agent calls. */
import { parentPort } from "node:worker_threads";
import { CaravelError } from "@caravel/api";
import { encodeForMain, summarizeAgentCall, UNCLAIMED, WORKER, type ToWorker, type WorkerAnswer, type WorkerMessage } from "./agent-call.js";

const port = parentPort!;
port.postMessage({ ready: true } satisfies WorkerMessage);
port.on("message", (calls: ToWorker[]) => {
  for (const { id, body, claim } of calls) {
    if (Atomics.compareExchange(claim, 0, UNCLAIMED, WORKER) !== UNCLAIMED) continue; // the main thread has it
    let answer: WorkerAnswer;
    try {
      answer = { id, ...encodeForMain(summarizeAgentCall(Buffer.from(body.buffer, body.byteOffset, body.byteLength))) };
    } catch (error) {
      const e = error instanceof CaravelError ? error : new CaravelError("MALFORMED_JSON", (error as Error).message);
      answer = { id, error: { code: e.code, message: e.message, path: e.path } };
    }
    port.postMessage(answer);
  }
});
