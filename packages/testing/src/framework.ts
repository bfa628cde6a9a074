/**
 * A scheduler test driver over `subscribeScheduler`: it collects every event, keeps the outstanding
 * offers and each task's status history, acknowledges updates (unless told not to), and offers
 * `waitFor…` helpers so that tests read as the scenario they check.
 */
import {
  subscribeScheduler,
  type CallType,
  type Event,
  type EventType,
  type FrameworkInfo,
  type Offer,
  type SchedulerSubscription,
  type TaskInfo,
  type TaskState,
  type TaskStatus,
} from "@caravel/api";
import { frameworkInfo as buildFrameworkInfo } from "./builders.js";
import { StopWaiting, waitFor, type WaitOptions } from "./wait.js";

export interface TestFrameworkOptions {
  frameworkInfo?: Partial<FrameworkInfo>;
  /** Acknowledge every status update that carries a uuid (default true). */
  autoAcknowledge?: boolean;
  headers?: Record<string, string>;
}

export class TestFramework {
  /** Every event after SUBSCRIBED, in order of arrival. */
  readonly events: Event[] = [];
  /** Offers received and not yet used, declined or rescinded, by offer id. */
  readonly offers = new Map<string, Offer>();
  /** Status updates per task id, oldest first. */
  readonly statuses = new Map<string, TaskStatus[]>();
  /** Set when the event stream failed or ended (not when `close()` ended it). */
  streamError: Error | undefined;
  private closed = false;
  private readonly loop: Promise<void>;

  private constructor(
    readonly subscription: SchedulerSubscription,
    private readonly autoAcknowledge: boolean,
  ) {
    this.loop = this.consume();
  }

  /** Subscribes a framework (a fresh test FrameworkInfo unless given) to the master at `masterUrl`. */
  static async subscribe(masterUrl: string, options: TestFrameworkOptions = {}): Promise<TestFramework> {
    const subscription = await subscribeScheduler(masterUrl, {
      frameworkInfo: buildFrameworkInfo(options.frameworkInfo),
      headers: options.headers,
    });
    return new TestFramework(subscription, options.autoAcknowledge ?? true);
  }

  get frameworkId(): string {
    return this.subscription.frameworkId;
  }

  /** Waits until at least `count` offers are outstanding and returns them. */
  async waitForOffers(count = 1, options: WaitOptions = {}): Promise<Offer[]> {
    return waitFor(() => this.check(() => (this.offers.size >= count ? [...this.offers.values()] : undefined)), {
      message: `${count} offer(s) for framework ${this.frameworkId}`,
      ...options,
    });
  }

  /** Waits until `taskId` has had a status update in `state`, and returns that update. */
  async waitForTaskState(taskId: string, state: TaskState, options: WaitOptions = {}): Promise<TaskStatus> {
    return waitFor(() => this.check(() => this.statuses.get(taskId)?.find((s) => s.state === state)), {
      message: () => `task ${taskId} to reach ${state} (seen: ${this.history(taskId)})`,
      ...options,
    });
  }

  /** Waits for an event of `type` (matching `predicate`, if given) among all events received. */
  async waitForEvent(type: EventType, predicate: (e: Event) => boolean = () => true, options: WaitOptions = {}): Promise<Event> {
    return waitFor(() => this.check(() => this.events.find((e) => e.type === type && predicate(e))), {
      message: `a ${type} event`,
      ...options,
    });
  }

  /** The latest status of `taskId`, if any. */
  latest(taskId: string): TaskStatus | undefined {
    return this.statuses.get(taskId)?.at(-1);
  }

  /** Launches `tasks` on `offers` (the tasks' agent ids should be the offers'); the offers are used up. */
  async launch(offers: Offer | readonly Offer[], tasks: readonly TaskInfo[], refuseSeconds?: number): Promise<void> {
    const list = Array.isArray(offers) ? offers : [offers as Offer];
    for (const o of list) this.offers.delete(o.id.value);
    await this.send({
      type: "ACCEPT",
      accept: {
        offer_ids: list.map((o) => o.id),
        operations: [{ type: "LAUNCH", launch: { task_infos: [...tasks] } }],
        ...(refuseSeconds !== undefined ? { filters: { refuse_seconds: refuseSeconds } } : {}),
      },
    });
  }

  /** Declines offers (all outstanding ones when none are given). */
  async decline(offers: readonly Offer[] = [...this.offers.values()], refuseSeconds?: number): Promise<void> {
    for (const o of offers) this.offers.delete(o.id.value);
    await this.send({
      type: "DECLINE",
      decline: { offer_ids: offers.map((o) => o.id), ...(refuseSeconds !== undefined ? { filters: { refuse_seconds: refuseSeconds } } : {}) },
    });
  }

  async kill(taskId: string, agentId?: string): Promise<void> {
    await this.send({ type: "KILL", kill: { task_id: { value: taskId }, ...(agentId ? { agent_id: { value: agentId } } : {}) } });
  }

  /** Acknowledges one status update (needed only with `autoAcknowledge: false`). */
  async acknowledge(status: TaskStatus): Promise<void> {
    if (!status.uuid || !status.agent_id) return;
    await this.send({ type: "ACKNOWLEDGE", acknowledge: { agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid } });
  }

  /** Explicit reconciliation of the given tasks, or implicit (all tasks) when none are given. */
  async reconcile(tasks: readonly { taskId: string; agentId?: string }[] = []): Promise<void> {
    await this.send({
      type: "RECONCILE",
      reconcile: { tasks: tasks.map((t) => ({ task_id: { value: t.taskId }, ...(t.agentId ? { agent_id: { value: t.agentId } } : {}) })) },
    });
  }

  async revive(): Promise<void> {
    await this.send({ type: "REVIVE" });
  }

  /** Tears the framework down at the master (its tasks are killed), then closes the stream. */
  async teardown(): Promise<void> {
    this.closed = true; // the master ends the stream in answer; that is not a failure
    await this.send({ type: "TEARDOWN" });
    await this.close();
  }

  /** Closes the event stream (the framework stays registered until its failover timeout). */
  async close(): Promise<void> {
    this.closed = true;
    this.subscription.close();
    await this.loop;
  }

  /** Sends a call; typed loosely because the full Call type is too deep for literal checking. */
  send(call: { type: CallType } & Record<string, unknown>): Promise<void> {
    return this.subscription.call(call);
  }

  private async consume(): Promise<void> {
    try {
      for await (const event of this.subscription.events) this.handle(event);
      // The master closed the stream (it stopped, or failed over): nothing more will arrive.
      if (!this.closed) this.streamError ??= new Error("the master closed the event stream");
    } catch (error) {
      if (!this.closed) this.streamError = error as Error;
    }
  }

  private handle(event: Event): void {
    this.events.push(event);
    if (event.type === "OFFERS") for (const o of event.offers?.offers ?? []) this.offers.set(o.id.value, o);
    if (event.type === "RESCIND" && event.rescind) this.offers.delete(event.rescind.offer_id.value);
    if (event.type === "UPDATE" && event.update) {
      const status = event.update.status;
      const history = this.statuses.get(status.task_id.value) ?? [];
      history.push(status);
      this.statuses.set(status.task_id.value, history);
      if (this.autoAcknowledge) this.acknowledge(status).catch((error: unknown) => (this.streamError ??= error as Error));
    }
  }

  /** Fails a wait at once when the stream broke, instead of timing out later. */
  private check<T>(fn: () => T): T {
    if (this.streamError) throw new StopWaiting(`scheduler stream failed: ${this.streamError.message}`);
    return fn();
  }

  private history(taskId: string): string {
    return (this.statuses.get(taskId) ?? []).map((s) => s.state).join(" → ") || "none";
  }
}
