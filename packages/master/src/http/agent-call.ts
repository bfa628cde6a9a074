/**
 * Parsing and validating agent calls, large ones on a worker thread.
 *
 * After a failover every agent of the cluster re-subscribes within a second, each with its tasks
 * (10,000 agents with 10 tasks: about 100 MB of JSON). JSON.parse plus the schema's validation was
 * most of the new leader's work, all of it on the thread that also runs the master. Large calls
 * (SUBSCRIBEs with tasks) go to a worker as they arrive, also while a new leader is still recovering
 * its registry; when the main thread reaches a call the worker has not started on, it parses the call
 * itself. Who parses a call is settled by a flag in shared memory that the first of the two threads
 * sets, so that the worker never waits for the main thread to hand it more work. The worker hands
 * back the validated call without its tasks and a short summary of each, as JSON text: what
 * re-registration needs. A task's TaskInfo and status are read from the call's body when first asked
 * for (state/reported-task.ts). Small calls (PONGs, status UPDATEs) are always parsed inline, where a
 * round trip to the worker would cost more than it saves.
 */
import { Worker } from "node:worker_threads";
import { AgentCall, AgentTask, CaravelError, quickAccept, TASK_STATES, type ErrorCode, type FrameworkInfo, type Resource } from "@caravel/api";
import { CallText, reportTasks, summarizeTasks, UnreadCalls, type ReportedTask, type TaskDetails, type TaskSummary } from "../state/reported-task.js";
import { sameJson } from "../state/same-json.js";
import { validateCall } from "./common.js";

/** Bodies from this size on are parsed by the worker. */
const OFF_THREAD_BYTES = 4096;
/**
 * The main thread parses a call itself only when the worker has more than this many calls to go
 * before it: a worker about to reach a call answers it soon, at no cost to the main thread (which,
 * taking calls as they trickled in over TCP, raced an idle worker and did most of the parsing).
 */
const WORKER_LEAD = 64;
/** Calls sent to the worker in one message at most (more are sent as they come). */
const BATCH = 16;
/** A call's claim (an Int32 in shared memory): who parses it, set once by whichever thread comes first. */
export const UNCLAIMED = 0;
export const WORKER = 1;
const MAIN = 2;

/** Parses a body as an agent call; errors are 400s that name the field. */
export function parseAgentCall(body: Buffer | string): AgentCall {
  const text = bodyText(body);
  return validateCall(parseJson(text), schemaFor(text), "agent call");
}

function bodyText(body: Buffer | string): string {
  if (body.length === 0) throw new CaravelError("MALFORMED_JSON", "request body is empty; expected a JSON document");
  return typeof body === "string" ? body : body.toString("utf8");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new CaravelError("MALFORMED_JSON", `request body is not valid JSON: ${(error as Error).message}`);
  }
}

/** Stripping nulls walks every object of the call; a body without the word has none to strip. */
const schemaFor = (text: string) => (text.includes("null") ? AgentCall : AgentCall.out);

/**
 * An agent call as the master reads it: a SUBSCRIBE's tasks are moved out of it into `tasks`. Its
 * FrameworkInfos may have been left in the body, read by `frameworks` when first needed.
 */
export interface ParsedAgentCall {
  call: AgentCall;
  tasks: ReportedTask[];
  frameworks?: () => FrameworkInfo[];
}

/** An agent call with what re-registration needs of a SUBSCRIBE's tasks, moved out of it. */
export interface SummarizedCall {
  call: AgentCall;
  tasks: TaskSummary[];
}

const acceptsTask = quickAccept(AgentTask);
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Parses a body as an agent call and reads what re-registration needs of a SUBSCRIBE's tasks. Tasks
 * that quickAccept accepts are checked but not built by the schema (that was most of the cost of a
 * large SUBSCRIBE; their details are parsed from the body when first read); if it is not sure of
 * one, the schema parses the whole call, and answers its 400.
 */
export function summarizeAgentCall(body: Buffer | string): SummarizedCall {
  const text = bodyText(body);
  const json = parseJson(text);
  const subscribe = isRecord(json) && isRecord(json["subscribe"]) ? json["subscribe"] : undefined;
  const tasks = subscribe?.["tasks"];
  if (subscribe && Array.isArray(tasks) && schemaFor(text) === AgentCall.out && tasks.every(acceptsTask)) {
    subscribe["tasks"] = [];
    return { call: validateCall(json, AgentCall.out, "agent call"), tasks: summarizeTasks(tasks as AgentTask[], true) };
  }
  const call = validateCall(json, schemaFor(text), "agent call");
  if (!call.subscribe) return { call, tasks: [] };
  const summaries = summarizeTasks(call.subscribe.tasks);
  call.subscribe.tasks = [];
  return { call, tasks: summaries };
}

/**
 * Parses a body as an agent call, a SUBSCRIBE's tasks read as ReportedTasks. Given `unread`, their
 * TaskInfos and statuses are left in the body, parsed again when first read.
 */
export function readAgentCall(body: Buffer | string, unread?: UnreadCalls): ParsedAgentCall {
  if (unread) {
    const { call, tasks } = summarizeAgentCall(body);
    return { call, tasks: withDetailsIn(body, tasks, unread) };
  }
  const call = parseAgentCall(body);
  if (!call.subscribe) return { call, tasks: [] };
  const tasks = reportTasks(call.subscribe.tasks);
  call.subscribe.tasks = [];
  return { call, tasks };
}

/** Tasks whose details stay in the body of their call until first read. */
function withDetailsIn(body: Buffer | string, tasks: TaskSummary[], unread: UnreadCalls): ReportedTask[] {
  if (tasks.length === 0) return [];
  const call = new CallText(body, detailsOfCall, unread);
  return tasks.map((task, index) => ({ ...task, details: { call, index } }));
}

export function detailsOfCall(body: Buffer | string): TaskDetails[] {
  return readAgentCall(body).tasks.map((t) => t.details as TaskDetails);
}

/**
 * A call as the worker gets it: the body (its own copy) and the call's claim. Calls go to the worker
 * in batches, at the end of a turn of the event loop or BATCH at a time: waking an idle worker for
 * each call cost more than parsing it when calls trickled in over TCP.
 */
export interface ToWorker {
  id: number;
  body: Uint8Array;
  claim: Int32Array;
}

/**
 * What the main thread sends the worker: calls to parse, or the bodies of calls whose tasks' details
 * it parses in the background after a burst (answered with `detailsOf`).
 */
export type ToWorkerMessage = { parse: ToWorker[] } | { details: Array<{ id: number; body: Uint8Array }> };

/**
 * What the worker sends: that it is ready (once, when loaded), or its answer to a call: the call as
 * JSON text (`encodeForMain`), as a structured clone, or the error.
 */
export type WorkerMessage = { ready: true } | WorkerAnswer | DetailsAnswer;
/** A call's tasks' details as JSON text (TaskDetails[]); absent when text cannot carry them. */
export interface DetailsAnswer {
  detailsOf: number;
  json?: string;
}
export type WorkerAnswer =
  | { id: number; json: string }
  | { id: number; clone: FromWorker }
  | { id: number; error: { code: ErrorCode; message: string; path?: string } };

/**
 * Gives the parsed call, or throws its 400: the body parsed inline, or the worker's text parsed, only
 * inside the handler, whose errors answer the agent.
 */
export type ReadCall = () => ParsedAgentCall;
type Done = (error: unknown, read?: ReadCall) => void;

/** A submitted call: waiting until it is parsed (by the worker or the main thread) or dropped. */
export interface PendingCall {
  readonly body: Buffer;
  readonly done: Done;
  state: "waiting" | "settled";
  /** Sent to the worker: its id there, and its claim. */
  id?: number;
  claim?: Int32Array;
}

/**
 * The built worker. Code run from source (tests, tsx) parses inline: Node 20's loader hooks do not
 * reach a worker's entry module, so a .ts worker would not start.
 */
const BUILT_WORKER = import.meta.url.endsWith(".js") ? new URL("./agent-call-worker.js", import.meta.url) : undefined;

export class AgentCallParser {
  private worker: Worker | undefined;
  private failed: boolean;
  private nextId = 0;
  /** The id of the last call the worker answered. */
  private lastAnswered = -1;
  /** Calls the worker has parsed (for tests). */
  parsedOffThread = 0;
  /** Calls sent to the worker, by id, until it answers or the main thread claims them. */
  private readonly onWorker = new Map<number, PendingCall>();
  /** Calls whose tasks' details are still text; after a burst the worker parses them. */
  private readonly unread = new UnreadCalls((calls) => this.prepareDetails(calls));
  /** Calls whose details the worker is parsing, by id, and those waiting for their turn. */
  private readonly preparing = new Map<number, CallText>();
  private toPrepare: CallText[] = [];
  /** Calls for the worker, sent together at the end of this turn of the event loop. */
  private outbox: ToWorker[] = [];
  private outboxMoves: ArrayBuffer[] = [];
  /** Settles once the worker is ready to parse, or has failed, or the parser is closed. */
  private ready = Promise.resolve();
  private settleReady = (): void => undefined;

  constructor(private readonly workerUrl: URL | undefined = BUILT_WORKER) {
    this.failed = workerUrl === undefined;
  }

  /**
   * Queues a body. `done` is called once with a reader of the call or with its 400-style error: when
   * the worker has parsed it, or when `takeInline` takes it first (then synchronously, and the reader
   * parses). Without a worker (none built, or it died) every call waits for `takeInline`.
   */
  submit(body: Buffer, done: Done): PendingCall {
    const call: PendingCall = { body, done, state: "waiting" };
    const worker = body.length >= OFF_THREAD_BYTES ? this.started() : undefined;
    if (worker) {
      call.id = this.nextId++;
      call.claim = new Int32Array(new SharedArrayBuffer(4));
      this.onWorker.set(call.id, call);
      const bytes = movableCopy(body);
      this.outboxMoves.push(bytes.buffer as ArrayBuffer);
      const waiting = this.outbox.push({ id: call.id, body: bytes, claim: call.claim });
      if (waiting === 1) setImmediate(() => this.send());
      else if (waiting === BATCH) this.send(); // a long turn (thousands of calls read at once) keeps the worker fed
    }
    return call;
  }

  /**
   * Parses the call on this thread unless the worker has started on it or will soon (its answer then
   * calls `done`).
   */
  takeInline(call: PendingCall): void {
    if (call.state !== "waiting") return;
    if (call.claim && this.worker && call.id! - this.lastAnswered <= WORKER_LEAD) return;
    if (!this.claim(call)) return;
    call.state = "settled";
    call.done(undefined, () => readAgentCall(call.body, this.unread));
  }

  /** Forgets a call whose agent has gone: it is not parsed (unless the worker has started), and `done` is not called. */
  drop(call: PendingCall): void {
    this.claim(call);
    call.state = "settled";
  }

  /**
   * Starts the worker ahead of the calls (a standby master: after its election every agent's call
   * comes at once, and loading the worker then took a tenth of a second of its time). Resolves once
   * the worker is ready, or at once without one.
   */
  warmUp(): Promise<void> {
    this.started();
    return this.ready;
  }

  /** Stops the worker; calls it still holds are dropped with the master's connections. */
  close(): Promise<number> | undefined {
    this.failed = true;
    this.unread.close();
    for (const call of this.onWorker.values()) call.state = "settled";
    this.onWorker.clear();
    this.settleReady();
    this.outbox = [];
    this.outboxMoves = [];
    this.preparing.clear();
    this.toPrepare = [];
    const worker = this.worker;
    worker?.removeAllListeners();
    worker?.on("error", () => undefined);
    this.worker = undefined;
    return worker?.terminate();
  }

  private send(): void {
    if (this.outbox.length === 0) return;
    this.worker?.postMessage({ parse: this.outbox } satisfies ToWorkerMessage, this.outboxMoves);
    this.outbox = [];
    this.outboxMoves = [];
  }

  /** Has the worker parse the details of `calls` (false without one: this thread does). */
  private prepareDetails(calls: ReadonlySet<CallText>): boolean {
    if (!this.worker) return false;
    for (const call of calls) this.toPrepare.push(call);
    this.sendDetails();
    return true;
  }

  /** Sends calls for their details a batch at a time, a batch or two at most on the worker. */
  private sendDetails(): void {
    while (this.worker && this.preparing.size < BATCH && this.toPrepare.length > 0) {
      const batch: Array<{ id: number; body: Uint8Array }> = [];
      const moves: ArrayBuffer[] = [];
      while (batch.length < BATCH && this.toPrepare.length > 0) {
        const call = this.toPrepare.pop()!;
        const text = call.text;
        if (text === undefined) continue; // read meanwhile
        const body = movableCopy(text);
        const id = this.nextId++;
        this.preparing.set(id, call);
        batch.push({ id, body });
        moves.push(body.buffer as ArrayBuffer);
      }
      if (batch.length > 0) this.worker.postMessage({ details: batch } satisfies ToWorkerMessage, moves);
    }
  }

  private detailsPrepared({ detailsOf, json }: DetailsAnswer): void {
    const call = this.preparing.get(detailsOf);
    this.preparing.delete(detailsOf);
    // (A call read meanwhile has its details already: its answer is not parsed.)
    if (call?.text !== undefined && json !== undefined) call.prepared(withSharedResources(JSON.parse(json) as TaskDetails[]));
    this.sendDetails();
  }

  /** Claims a call for this thread: false if the worker has it. */
  private claim(call: PendingCall): boolean {
    if (!call.claim) return true;
    if (Atomics.compareExchange(call.claim, 0, UNCLAIMED, MAIN) !== UNCLAIMED) return false;
    this.onWorker.delete(call.id!);
    call.claim = undefined;
    return true;
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
    this.ready = new Promise((resolve) => (this.settleReady = resolve));
    worker.once("exit", this.settleReady).on("message", (message: WorkerMessage) => {
      if ("id" in message) this.answered(message);
      else if ("detailsOf" in message) this.detailsPrepared(message);
      else this.settleReady();
    });
    // A worker that cannot start or dies: what it held is parsed inline, and so is every later call.
    const fail = (): void => {
      this.failed = true;
      this.worker = undefined;
      this.preparing.clear(); // their details are parsed when read
      this.toPrepare = [];
      const orphans = [...this.onWorker.values()];
      this.onWorker.clear();
      for (const call of orphans) {
        call.claim = undefined; // whatever the dead worker claimed is this thread's now
        this.takeInline(call);
      }
    };
    worker.on("error", fail);
    worker.on("exit", fail);
    return (this.worker = worker);
  }

  private answered(answer: WorkerAnswer): void {
    this.lastAnswered = answer.id;
    const call = this.onWorker.get(answer.id);
    if (!call) return;
    this.onWorker.delete(answer.id);
    call.claim = undefined;
    if (call.state !== "waiting") return; // dropped meanwhile
    call.state = "settled";
    this.parsedOffThread++;
    if ("error" in answer) call.done(new CaravelError(answer.error.code, answer.error.message, { path: answer.error.path }));
    else call.done(undefined, () => decodeFromWorker("json" in answer ? (JSON.parse(answer.json) as FromWorker) : answer.clone, call.body, this.unread));
  }
}

/**
 * A call as the worker sends it to the main thread: the call without its tasks, a summary of each
 * task, and the framework ids and resource lists of the tasks (each once; resource lists are usually
 * one per agent), which the tasks then share. The call's FrameworkInfos stay in the body: the main
 * thread reads them only for frameworks it does not know yet, the first agent's. As JSON text, unless
 * text cannot carry it.
 */
export function encodeForMain({ call, tasks }: SummarizedCall): { json: string } | { clone: FromWorker } {
  const frameworkIds: string[] = [];
  const resourceLists: Resource[][] = [];
  const summaries = tasks.map((t): SummaryTuple => {
    let framework = frameworkIds.indexOf(t.frameworkId);
    if (framework === -1) framework = frameworkIds.push(t.frameworkId) - 1;
    let list = resourceLists.indexOf(t.resources); // alike lists are one array already (summarizeTasks)
    if (list === -1) list = resourceLists.push(t.resources) - 1;
    const latestState = t.latestState ? TASK_STATES.indexOf(t.latestState) : -1;
    return [framework, t.taskId, TASK_STATES.indexOf(t.state), list, t.executorId ?? 0, latestState, t.pendingUuid ?? 0, t.allocationRole ?? 0];
  });
  const frameworksInBody = call.subscribe?.frameworks.length ?? 0; // (the main thread's ParsedAgentCall.frameworks)
  if (frameworksInBody > 0) call = { ...call, subscribe: { ...call.subscribe!, frameworks: [] } };
  const clone: FromWorker = { call, frameworksInBody, summaries, frameworkIds, resourceLists };
  const json = JSON.stringify(clone);
  // Nulls were stripped on the way in: a "null" in the text is a value JSON cannot carry (±Infinity),
  // or text that merely contains the word.
  return json.includes("null") ? { clone } : { json };
}

/**
 * A task summary as an array (0 where a string is absent), its framework and resources indexes into
 * the call's lists, its states indexes into TASK_STATES (-1: absent).
 */
type SummaryTuple = [framework: number, taskId: string, state: number, resourceList: number, executorId: string | 0, latestState: number, pendingUuid: string | 0, allocationRole: string | 0];
export interface FromWorker {
  call: AgentCall;
  /** How many FrameworkInfos the call has, left in its body. */
  frameworksInBody: number;
  summaries: SummaryTuple[];
  frameworkIds: string[];
  resourceLists: Resource[][];
}

/** What `encodeForMain` gave, read on the main thread; the tasks' details stay in the body. */
function decodeFromWorker({ call, frameworksInBody, summaries, frameworkIds, resourceLists }: FromWorker, body: Buffer, unread: UnreadCalls): ParsedAgentCall {
  const frameworks = frameworksInBody > 0 ? frameworksIn(body) : undefined;
  if (summaries.length === 0) return { call, tasks: [], frameworks };
  const text = new CallText(body, detailsOfCall, unread);
  const tasks = summaries.map(
    ([framework, taskId, state, list, executorId, latestState, pendingUuid, allocationRole], index): ReportedTask => ({
      frameworkId: frameworkIds[framework]!,
      taskId,
      state: TASK_STATES[state]!,
      executorId: executorId || undefined,
      latestState: TASK_STATES[latestState],
      pendingUuid: pendingUuid || undefined,
      allocationRole: allocationRole || undefined,
      resources: resourceLists[list]!,
      details: { call: text, index },
    }),
  );
  return { call, tasks, frameworks };
}

/**
 * A body's bytes in a buffer of their own, to move to the worker (posting a Buffer would copy all of
 * the pooled or socket buffer it is a view of; one copy here, none when posting).
 */
function movableCopy(body: Buffer | string): Uint8Array {
  return typeof body === "string" ? new TextEncoder().encode(body) : new Uint8Array(body);
}

/** Makes alike resource lists of a call's tasks one array again (as when parsed here): JSON carries copies. */
function withSharedResources(details: TaskDetails[]): TaskDetails[] {
  const lists: Resource[][] = [];
  for (const { info } of details) {
    const same = lists.find((list) => sameJson(list, info.resources));
    if (same) info.resources = same;
    else lists.push(info.resources);
  }
  return details;
}

/** The FrameworkInfos of the call in `body`, parsed when first asked for. */
function frameworksIn(body: Buffer): () => FrameworkInfo[] {
  let frameworks: FrameworkInfo[] | undefined;
  return () => (frameworks ??= parseAgentCall(body).subscribe!.frameworks);
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
