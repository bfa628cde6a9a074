/**
 * The Mesos side of Marathon: keeps one subscription to the leading master (re-subscribing with the
 * persisted framework id after any failure, failover_timeout one week), feeds offers and status
 * updates to the core, and carries out the core's calls. Implements the core's SchedulerPort.
 */
import { createMasterClient, sleep, subscribeScheduler, type Event, type Operation, type SchedulerSubscription, type TaskInfo } from "@caravel/api";
import type { Logger } from "@caravel/runtime";
import type { Marathon } from "../core/marathon.js";
import type { EventBus } from "../events/bus.js";
import type { SchedulerPort } from "../core/port.js";
import { PendingInverseOffers } from "../drain/inverse-offers.js";
import { CallTransport } from "./call-transport.js";

export interface DriverOptions {
  masters: string[];
  frameworkName: string;
  user: string;
  role: string;
  hostname: string;
  webuiUrl: string;
  failoverTimeoutSeconds: number;
  reconcileIntervalMs: number;
  drainPollMs: number;
}

export class SchedulerDriver implements SchedulerPort {
  private sub: SchedulerSubscription | undefined;
  private transport: CallTransport | undefined;
  private stopped = false;
  private readonly timers: NodeJS.Timeout[] = [];
  masterUrl: string | undefined;
  readonly calls = { failed: 0, sent: 0 };
  /** Inverse offers (drains) answered only once Marathon has moved its instances off the agent. */
  readonly inverseOffers = new PendingInverseOffers();

  constructor(
    private readonly core: Marathon,
    private readonly events: EventBus,
    private readonly log: Logger,
    private readonly o: DriverOptions,
  ) {}

  /** "*" plus --mesos_role (slave_public by default, as in DC/OS), so that public agents are offered too. */
  private get roles(): string[] {
    return [...new Set(["*", this.o.role])];
  }

  get connected(): boolean {
    return this.sub !== undefined;
  }

  /** Runs the subscription loop until `stop()`. */
  start(): void {
    void this.loop();
    this.timers.push(setInterval(() => this.sub && this.core.reconcileAll(), this.o.reconcileIntervalMs).unref());
    this.timers.push(setInterval(() => void this.pollDraining(), this.o.drainPollMs).unref());
    this.timers.push(
      setInterval(() => {
        this.core.tick();
        this.answerInverseOffers();
      }, 1000).unref(),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.sub?.close();
    this.sub = undefined;
    this.transport?.close();
  }

  private async loop(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      const master = this.o.masters[attempt % this.o.masters.length]!;
      try {
        const sub = await subscribeScheduler(master, {
          frameworkInfo: {
            user: this.o.user,
            name: this.o.frameworkName,
            ...(this.core.frameworkId ? { id: { value: this.core.frameworkId } } : {}),
            failover_timeout: this.o.failoverTimeoutSeconds,
            checkpoint: true,
            roles: this.roles,
            hostname: this.o.hostname,
            webui_url: this.o.webuiUrl,
            capabilities: [{ type: "MULTI_ROLE" }, { type: "PARTITION_AWARE" }, { type: "TASK_KILLING_STATE" }, { type: "GPU_RESOURCES" }],
          },
        });
        attempt = 0;
        this.sub = sub;
        this.transport = new CallTransport({ masterUrl: sub.masterUrl, streamId: sub.streamId, frameworkId: sub.frameworkId, fallback: (call) => sub.call(call) });
        this.acked.clear();
        this.masterUrl = sub.masterUrl;
        this.log.info({ frameworkId: sub.frameworkId, master: sub.masterUrl }, "subscribed to the master");
        this.events.emit("scheduler_registered_event", { frameworkId: sub.frameworkId, master: sub.masterUrl });
        this.core.port = this;
        this.core.onSubscribed(sub.frameworkId);
        await this.consume(sub);
      } catch (error) {
        if (this.stopped) return;
        this.log.warn({ err: (error as Error).message, master }, "subscription failed; retrying");
      }
      this.transport?.close();
      this.transport = undefined;
      if (this.sub) {
        this.sub.close();
        this.sub = undefined;
        this.events.emit("scheduler_disconnected_event", {});
      }
      attempt++;
      await sleep(Math.min(5000, 250 * attempt));
    }
  }

  /** Reads events until the stream ends or goes silent for three heartbeats. */
  private async consume(sub: SchedulerSubscription): Promise<void> {
    const iterator = sub.events[Symbol.asyncIterator]();
    const silenceMs = sub.heartbeatIntervalSeconds * 3000;
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), silenceMs)));
      const next = await Promise.race([iterator.next(), timeout]);
      clearTimeout(timer);
      if (next === "timeout") {
        this.log.warn("no heartbeat from the master; re-subscribing");
        return;
      }
      if (next.done || this.stopped) return;
      await this.dispatch(next.value);
    }
  }

  private async dispatch(event: Event): Promise<void> {
    switch (event.type) {
      case "OFFERS":
        await this.core.handleOffers(event.offers?.offers ?? []);
        return;
      case "UPDATE":
        if (event.update) this.core.handleStatus(event.update.status);
        return;
      case "RESCIND":
        if (event.rescind) this.core.rescind(event.rescind.offer_id.value);
        return;
      case "INVERSE_OFFERS": {
        const inverse = event.inverse_offers?.inverse_offers ?? [];
        for (const o of inverse) if (o.agent_id?.value) this.inverseOffers.add(o.agent_id.value, o.id.value);
        this.core.setDraining([...this.core.drainingAgents, ...this.inverseOffers.agents]);
        this.answerInverseOffers();
        return;
      }
      case "RESCIND_INVERSE_OFFER":
        if (event.rescind_inverse_offer) this.inverseOffers.rescind(event.rescind_inverse_offer.inverse_offer_id.value);
        return;
      case "ERROR":
        this.log.error({ message: event.error?.message }, "master sent an error");
        return;
      default:
        return;
    }
  }

  /** Accepts the inverse offers of agents where no instance Marathon still wants runs (drain/). */
  private answerInverseOffers(): void {
    if (this.inverseOffers.size === 0) return;
    const ready = this.inverseOffers.takeReady(() => this.core.instances.values());
    if (ready.length) this.send({ type: "ACCEPT_INVERSE_OFFERS", accept_inverse_offers: { inverse_offer_ids: ready.map((value) => ({ value })), filters: { refuse_seconds: 5 } } });
  }

  /** Agents the master reports as draining (operator API GET_AGENTS drain_info). */
  private async pollDraining(): Promise<void> {
    // One poll at a time: GET_AGENTS lists every agent with its tasks, and on a busy master (10,000
    // tasks during a mass launch) answers can take longer than the interval; overlapping polls that
    // time out here would still be computed there and pile up. A slow answer also spaces the next
    // poll (9× its duration): a profile of 10,000 launches on 1,000 agents had these polls taking
    // ~7% of the master's time at a 5 s period.
    if (!this.masterUrl || this.drainPollInFlight || Date.now() < this.nextDrainPollAt) return;
    this.drainPollInFlight = true;
    const started = Date.now();
    try {
      const answer = await createMasterClient(this.masterUrl, { timeoutMs: 60_000 }).call<{ get_agents?: { agents?: { agent_info?: { id?: { value?: string } }; drain_info?: { state?: string } }[] } }>("GET_AGENTS");
      const draining = (answer.get_agents?.agents ?? []).filter((a) => a.drain_info?.state === "DRAINING" || a.drain_info?.state === "DRAINED").map((a) => a.agent_info?.id?.value ?? "");
      this.inverseOffers.retain(new Set(draining));
      this.core.setDraining([...draining.filter(Boolean), ...this.inverseOffers.agents]);
    } catch (error) {
      this.log.debug({ err: (error as Error).message }, "GET_AGENTS failed");
    } finally {
      this.drainPollInFlight = false;
      this.nextDrainPollAt = Date.now() + 9 * (Date.now() - started);
    }
  }
  private drainPollInFlight = false;
  private nextDrainPollAt = 0;

  /**
   * Calls go through two FIFO lanes: REVIVE/SUPPRESS one at a time (a SUPPRESS never overtakes a
   * later REVIVE), everything else with up to 32 in flight, and ACKNOWLEDGEs with up to 1,024, so that
   * a burst of thousands of them (agents send a task's next update only after the previous one is
   * acknowledged) flows pipelined over a few connections (call-transport.ts).
   */
  private readonly lanes = {
    control: { queue: [] as Parameters<SchedulerSubscription["call"]>[0][], inFlight: 0, max: 1 },
    bulk: { queue: [] as Parameters<SchedulerSubscription["call"]>[0][], inFlight: 0, max: 32 },
    acks: { queue: [] as Parameters<SchedulerSubscription["call"]>[0][], inFlight: 0, max: 1024 },
  };
  /** Update uuids whose acknowledgement is queued or in flight: a resend meanwhile must not queue another. */
  private readonly acked = new Set<string>();

  private send(call: Parameters<SchedulerSubscription["call"]>[0]): void {
    if (!this.sub) return;
    const control = call.type === "REVIVE" || call.type === "SUPPRESS";
    if (control) this.controlCalls++;
    const lane = control ? this.lanes.control : call.type === "ACKNOWLEDGE" ? this.lanes.acks : this.lanes.bulk;
    lane.queue.push(call);
    this.pump(lane);
  }

  private pump(lane: { queue: Parameters<SchedulerSubscription["call"]>[0][]; inFlight: number; max: number }): void {
    while (lane.inFlight < lane.max && lane.queue.length > 0) {
      const sub = this.transport;
      if (!sub || !this.sub) {
        lane.queue.length = 0;
        return;
      }
      const call = lane.queue.shift()!;
      lane.inFlight++;
      this.calls.sent++;
      sub
        .call(call)
        .catch((error: unknown) => {
          this.calls.failed++;
          this.log.warn({ err: (error as Error).message, type: call.type }, "scheduler call failed");
          // A lost REVIVE would leave Marathon suppressed while instances wait (and a lost SUPPRESS
          // would keep offers coming): the latest control call is sent again until it lands.
          if (lane === this.lanes.control) this.retryControl(call);
        })
        .finally(() => {
          // Once answered, a resend of the same update is acknowledged again: the agent resends only
          // when our acknowledgement did not reach it (e.g. its stream to the master was replaced).
          if (call.type === "ACKNOWLEDGE") this.acked.delete(String((call.acknowledge as { uuid?: unknown } | undefined)?.uuid));
          lane.inFlight--;
          this.pump(lane);
        });
    }
  }

  /** REVIVE/SUPPRESS calls sent so far: a retry is due only while no newer one was sent. */
  private controlCalls = 0;
  private retryControl(call: Parameters<SchedulerSubscription["call"]>[0]): void {
    const sentBefore = this.controlCalls;
    setTimeout(() => {
      if (this.controlCalls === sentBefore) this.send(call);
    }, 1_000).unref();
  }

  launch(offerIds: string[], tasks: TaskInfo[]): void {
    this.send({ type: "ACCEPT", accept: { offer_ids: offerIds.map((value) => ({ value })), operations: [{ type: "LAUNCH", launch: { task_infos: tasks } }], filters: { refuse_seconds: 1 } } });
  }
  accept(offerIds: string[], operations: Operation[]): void {
    this.send({ type: "ACCEPT", accept: { offer_ids: offerIds.map((value) => ({ value })), operations, filters: { refuse_seconds: 1 } } });
  }
  decline(offerIds: string[], refuseSeconds: number): void {
    this.send({ type: "DECLINE", decline: { offer_ids: offerIds.map((value) => ({ value })), filters: { refuse_seconds: refuseSeconds } } });
  }
  kill(taskId: string, agentId: string, gracePeriodSeconds?: number): void {
    this.send({
      type: "KILL",
      kill: { task_id: { value: taskId }, agent_id: { value: agentId }, ...(gracePeriodSeconds !== undefined ? { kill_policy: { grace_period: { nanoseconds: Math.round(gracePeriodSeconds * 1e9) } } } : {}) },
    });
  }
  acknowledge(agentId: string, taskId: string, uuid: string): void {
    if (this.acked.has(uuid)) return;
    this.acked.add(uuid);
    this.send({ type: "ACKNOWLEDGE", acknowledge: { agent_id: { value: agentId }, task_id: { value: taskId }, uuid } });
  }
  reconcile(tasks: { taskId: string; agentId: string }[]): void {
    this.send({ type: "RECONCILE", reconcile: { tasks: tasks.map((t) => ({ task_id: { value: t.taskId }, agent_id: { value: t.agentId } })) } });
  }
  revive(): void {
    this.send({ type: "REVIVE", revive: { roles: this.roles } });
  }
  suppress(): void {
    this.send({ type: "SUPPRESS", suppress: { roles: this.roles } });
  }
}
