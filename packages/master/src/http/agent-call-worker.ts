/** The worker thread of AgentCallParser (agent-call.ts): parses and validates large agent calls. */
import { parentPort } from "node:worker_threads";
import { CaravelError } from "@caravel/api";
import { detailsOfCall, encodeForMain, summarizeAgentCall, UNCLAIMED, WORKER, type DetailsAnswer, type ToWorkerMessage, type WorkerAnswer, type WorkerMessage } from "./agent-call.js";

const port = parentPort!;
port.postMessage({ ready: true } satisfies WorkerMessage);
port.on("message", (message: ToWorkerMessage) => {
  if ("details" in message) {
    for (const { id, body } of message.details) port.postMessage(details(id, body));
    return;
  }
  for (const { id, body, claim } of message.parse) {
    if (Atomics.compareExchange(claim, 0, UNCLAIMED, WORKER) !== UNCLAIMED) continue; // the main thread has it
    let answer: WorkerAnswer;
    try {
      answer = { id, ...encodeForMain(summarizeAgentCall(asBuffer(body))) };
    } catch (error) {
      const e = error instanceof CaravelError ? error : new CaravelError("MALFORMED_JSON", (error as Error).message);
      answer = { id, error: { code: e.code, message: e.message, path: e.path } };
    }
    port.postMessage(answer);
  }
});

const asBuffer = (body: Uint8Array): Buffer => Buffer.from(body.buffer, body.byteOffset, body.byteLength);

/** A call's tasks' details as JSON text; none when it cannot carry them ("null": ±Infinity) or the call no longer parses. */
function details(id: number, body: Uint8Array): DetailsAnswer {
  try {
    const json = JSON.stringify(detailsOfCall(asBuffer(body)));
    return json.includes("null") ? { detailsOf: id } : { detailsOf: id, json };
  } catch {
    return { detailsOf: id };
  }
}
