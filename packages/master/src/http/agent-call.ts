/**
 * Parsing and validating agent calls, large ones on a worker thread.
 *
 * After a failover every agent of the cluster re-subscribes within a second, each with its tasks
 * (10,000 agents with 10 tasks: 55 MB of JSON). JSON.parse plus the schema's validation was a third of
 * the new leader's work, all of it on the thread that also runs the master. Large calls (SUBSCRIBEs
 * with tasks) now go to a worker while it holds fewer than IN_FLIGHT, and the main thread parses the
 * rest itself: both threads take calls from the same queue at their own pace. The worker hands the
 * validated call back as JSON text; parsing that again costs the main thread less than the
 * validation it no longer does. Small calls (PONGs, status UPDATEs) are always parsed inline, where a
 * round trip to the worker would cost more than it saves.
 */
import { Worker } from "node:worker_threads";
import { AgentCall, CaravelError, type ErrorCode } from "@caravel/api";
import { validateCall } from "./common.js";

/** Bodies from this size on are parsed by the worker. */
const OFF_THREAD_BYTES = 4096;
/**
 * Calls the worker holds at most; beyond them the main thread parses itself. Both threads then take
 * their next call from the same queue (the admission queue, agent-api.ts), each at its own pace.
 */
const IN_FLIGHT = 64;

/** Parses a body as an agent call; errors are 400s that name the field. */
export function parseAgentCall(body: Buffer | string): AgentCall {
  if (body.length === 0) throw new CaravelError("MALFORMED_JSON", "request body is empty; expected a JSON document");
  const text = typeof body === "string" ? body : body.toString("utf8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CaravelError("MALFORMED_JSON", `request body is not valid JSON: ${(error as Error).message}`);
  }
  // Stripping nulls walks every object of the call; a body without the word has none to strip.
  return validateCall(json, text.includes("null") ? AgentCall : AgentCall.out, "agent call");
}

/** What the worker answers: the call as JSON text, as a structured clone, or the error. */
export type WorkerAnswer =
  | { id: number; json: string }
  | { id: number; call: AgentCall }
  | { id: number; error: { code: ErrorCode; message: string; path?: string } };

/**
 * Gives the parsed call, or throws its 400: the body parsed inline, or the worker's text parsed, only
 * inside the handler, whose errors answer the agent.
 */
export type ReadCall = () => AgentCall;
type Done = (error: unknown, read?: ReadCall) => void;

/**
 * The built worker. Code run from source (tests, tsx) parses inline: Node 20's loader hooks do not
 * reach a worker's entry module, so a .ts worker would not start.
 */
const BUILT_WORKER = import.meta.url.endsWith(".js") ? new URL("./agent-call-worker.js", import.meta.url) : undefined;

export class AgentCallParser {
  private worker: Worker | undefined;
  private failed: boolean;
  private nextId = 0;
  /** Calls the worker has parsed (for tests). */
  parsedOffThread = 0;
  /** Bodies handed to the worker, by id, until it answers. */
  private readonly pending = new Map<number, { body: Buffer; done: Done }>();

  constructor(private readonly workerUrl: URL | undefined = BUILT_WORKER) {
    this.failed = workerUrl === undefined;
  }

  /**
   * Calls `done` with a reader of the call, or with a 400-style error; synchronously for small bodies
   * (whose reader then parses them, and throws their error).
   */
  parse(body: Buffer, done: Done): void {
    const worker = body.length >= OFF_THREAD_BYTES && this.pending.size < IN_FLIGHT ? this.started() : undefined;
    if (!worker) {
      done(undefined, () => parseAgentCall(body));
      return;
    }
    const id = this.nextId++;
    this.pending.set(id, { body, done });
    // As text: a Buffer would carry the whole pooled ArrayBuffer it is a slice of.
    worker.postMessage({ id, text: body.toString("utf8") });
  }

  /** Stops the worker; calls it still holds are dropped with the master's connections. */
  close(): Promise<number> | undefined {
    this.failed = true;
    this.pending.clear();
    const worker = this.worker;
    worker?.removeAllListeners();
    worker?.on("error", () => undefined);
    this.worker = undefined;
    return worker?.terminate();
  }

  private started(): Worker | undefined {
    if (this.worker || this.failed) return this.worker;
    let worker: Worker;
    try {
      worker = new Worker(this.workerUrl!, { execArgv: workerExecArgv() });
    } catch {
      this.failed = true;
      return undefined;
    }
    worker.unref(); // an idle parser never keeps the process alive
    worker.on("message", (answer: WorkerAnswer) => this.answered(answer));
    // A worker that cannot start or dies: what it held, and every later call, is parsed inline.
    const fail = (): void => {
      this.failed = true;
      this.worker = undefined;
      const orphans = [...this.pending.values()];
      this.pending.clear();
      for (const { body, done } of orphans) done(undefined, () => parseAgentCall(body));
    };
    worker.on("error", fail);
    worker.on("exit", fail);
    return (this.worker = worker);
  }

  private answered(answer: WorkerAnswer): void {
    const job = this.pending.get(answer.id);
    if (!job) return;
    this.pending.delete(answer.id);
    this.parsedOffThread++;
    if ("error" in answer) job.done(new CaravelError(answer.error.code, answer.error.message, { path: answer.error.path }));
    else if ("json" in answer) job.done(undefined, () => JSON.parse(answer.json) as AgentCall);
    else job.done(undefined, () => answer.call);
  }
}

/**
 * Node flags for the worker: this process's (the default), but without `--conditions source` when
 * given (tests run from source; the built worker must load built packages). Only then are they
 * passed explicitly: explicit worker flags may not include V8's (`--max-semi-space-size`), which
 * the inherited ones may.
 */
function workerExecArgv(): string[] | undefined {
  const given = process.execArgv;
  const isSource = (i: number) => given[i] === "--conditions=source" || ((given[i] === "--conditions" || given[i] === "-C") && given[i + 1] === "source");
  if (!given.some((_, i) => isSource(i))) return undefined;
  const args: string[] = [];
  for (let i = 0; i < given.length; i++) {
    if (!isSource(i)) args.push(given[i]!);
    else if (given[i] !== "--conditions=source") i++;
  }
  return args;
}
