/**
 * Marathon's core: the apps, their instances and deployments, and the loop that keeps them converging.
 * Everything that decides is a pure function elsewhere (placement, control, plans, backoff); this class
 * holds the state, applies decisions, persists them, talks to the scheduler port and emits events.
 */
import { randomUUID } from "node:crypto";
import { CaravelError, instanceIdOf, isResident, isTerminalState, parseTaskId, type AppDefinition, type Offer, type Resource, type TaskStatus } from "@caravel/api";
import type { Logger } from "@caravel/runtime";
import { buildPlan, type DeploymentPlan } from "../deploy/plan.js";
import { canonicalJson } from "../deploy/canonical.js";
import { controlApp } from "../deploy/control.js";
import type { EventBus } from "../events/bus.js";
import { healthyRunResets, recordFailure, type Backoff } from "../instances/backoff.js";
import { isStaleUpdate } from "../instances/stale-update.js";
import { conditionOf, isActive, stagedInstance, type Instance } from "../instances/instance.js";
import { viewOfOffer, type OfferView } from "../placement/offer.js";
import { placeInstances, type LaunchDemand } from "../placement/place.js";
import type { Repository } from "../storage/repository.js";
import { buildTaskInfo } from "../scheduler/task-builder.js";
import { disconnectedPort, type SchedulerPort } from "./port.js";
import { QueueStats } from "./queue-stats.js";
import { ReadinessPoller } from "../instances/readiness.js";
import { assignServicePorts, servicePortsOf } from "./service-ports.js";
import type { TaskFailure } from "./views.js";
import { createPodInstance, sendLaunches, taskIdsOf } from "../pods/instances.js";
import type { PodLaunch } from "../pods/launch.js";
import { isPodSpec } from "../pods/run-spec.js";
import { podInstanceStatus } from "../pods/status.js";
import { planView, stepView } from "../pods/plan-view.js";
import { ReservationBook } from "../resident/book.js";
import { handleResidentOffers, releasesPending, withoutResidentReservations, type ResidentHost } from "../resident/offers.js";

export interface MarathonOptions {
  repo: Repository;
  events: EventBus;
  log: Logger;
  clock?: () => number;
  defaultAcceptedRoles?: string[];
  maxInstancesPerOffer?: number;
  localPorts?: { min: number; max: number };
  /** Offers declined while there is nothing to launch are refused for this long. */
  declineSeconds?: number;
  /** Kills are re-sent when a task has not died after this long. */
  killRetryMs?: number;
  /** Reservations of resident apps (default: in memory, role slave_public). */
  reservations?: ReservationBook;
}

export interface DeployRequest {
  /** The complete set of apps after the change. */
  target: Map<string, AppDefinition>;
  force?: boolean;
  /** Apps to restart even if unchanged (POST /v2/apps/{id}/restart). */
  restart?: Set<string>;
  /** The complete set of pod run specs after the change (absent: pods unchanged). */
  pods?: Map<string, AppDefinition>;
}

export class Marathon {
  readonly apps = new Map<string, AppDefinition>();
  /** Pods, as run specs (pods/run-spec.ts): they share the apps' deployments, placement and control. */
  readonly pods = new Map<string, AppDefinition>();
  readonly instances = new Map<string, Instance>();
  private readonly byTask = new Map<string, string>();
  private readonly byApp = new Map<string, Map<string, Instance>>();
  private tickScheduled = false;
  readonly deployments = new Map<string, DeploymentPlan>();
  private readonly locks = new Map<string, string>();
  readonly backoffs = new Map<string, Backoff>();
  readonly queue = new Map<string, number>();
  readonly queueStats = new Map<string, QueueStats>();
  readonly lastOffers = new Map<string, OfferView & { receivedAt: number }>();
  readonly lastTaskFailure = new Map<string, TaskFailure>();
  readonly drainingAgents = new Set<string>();
  frameworkId: string | undefined;
  port: SchedulerPort = disconnectedPort;
  private suppressed = false;
  private readonly usedServicePorts = new Set<number>();
  private readonly clock: () => number;
  readonly launched = { count: 0 };
  readonly readiness = new ReadinessPoller(() => this.requestTick());
  readonly reservations: ReservationBook;

  constructor(private readonly o: MarathonOptions) {
    this.clock = o.clock ?? Date.now;
    this.reservations = o.reservations ?? new ReservationBook(undefined, "slave_public");
  }

  now(): number {
    return this.clock();
  }

  /** Loads persisted state (apps, deployments, instances, framework id). */
  async recover(): Promise<void> {
    const state = await this.o.repo.load();
    this.frameworkId = state.frameworkId;
    for (const app of state.apps) {
      if (isPodSpec(app)) {
        this.pods.set(app.id, app);
        continue;
      }
      this.apps.set(app.id, app);
      for (const p of servicePortsOf(app)) this.usedServicePorts.add(p);
    }
    for (const i of state.instances) this.indexInstance(i);
    for (const plan of state.deployments) this.registerDeployment(plan);
    await this.reservations.load();
    this.o.log.info({ apps: this.apps.size, instances: this.instances.size, deployments: this.deployments.size }, "recovered state");
  }

  // ---- instances ---------------------------------------------------------------------------

  instancesOf(appId: string): Instance[] {
    return [...(this.byApp.get(appId)?.values() ?? [])];
  }

  private indexInstance(i: Instance): void {
    this.instances.set(i.instanceId, i);
    this.byTask.set(i.taskId, i.instanceId);
    for (const t of Object.values(i.tasks ?? {})) this.byTask.set(t.taskId, i.instanceId);
    (this.byApp.get(i.appId) ?? this.byApp.set(i.appId, new Map()).get(i.appId)!).set(i.instanceId, i);
  }

  private dropInstance(i: Instance): void {
    this.readiness?.forget(i.taskId);
    this.instances.delete(i.instanceId);
    this.byTask.delete(i.taskId);
    for (const t of Object.values(i.tasks ?? {})) this.byTask.delete(t.taskId);
    const forApp = this.byApp.get(i.appId);
    forApp?.delete(i.instanceId);
    if (forApp?.size === 0) this.byApp.delete(i.appId);
    this.persist(this.o.repo.deleteInstance(i.instanceId));
  }

  private persist(p: Promise<unknown>): void {
    p.catch((error: unknown) => this.o.log.error({ err: error }, "store write failed"));
  }

  // ---- deployments ------------------------------------------------------------------------

  private registerDeployment(plan: DeploymentPlan): void {
    this.deployments.set(plan.id, plan);
    for (const id of plan.affectedApps) this.locks.set(id, plan.id);
  }

  /** Ids of deployments touching an app. */
  deploymentsOf(appId: string): string[] {
    const id = this.locks.get(appId);
    return id ? [id] : [];
  }

  /** Starts a deployment taking the current apps to `target`. 409 on locked apps unless forced. */
  async deploy(req: DeployRequest): Promise<{ deploymentId: string; version: string; plan: DeploymentPlan }> {
    const version = new Date(this.clock()).toISOString();
    const target = new Map<string, AppDefinition>();
    const current = new Map([...this.apps, ...this.pods]);
    for (const id of (req.pods ?? this.pods).keys()) {
      if (req.target.has(id)) throw new CaravelError("CONFLICT", `${id} cannot be both an app and a pod: apps and pods share one namespace; choose another id`, { path: "/id" });
    }
    for (const [id, app] of [...req.target, ...(req.pods ?? this.pods)]) {
      const before = current.get(id);
      const restart = req.restart?.has(id) ?? false;
      const scaleOnly = before !== undefined && !restart && sameConfig(before, app);
      const unchanged = before !== undefined && !restart && canonicalJson({ ...before, version: undefined, versionInfo: undefined }) === canonicalJson({ ...app, version: undefined, versionInfo: undefined });
      if (unchanged) {
        target.set(id, before);
        continue;
      }
      const lastConfigChangeAt = scaleOnly ? (before.versionInfo?.lastConfigChangeAt ?? version) : version;
      let next: AppDefinition = { ...app, version, versionInfo: { lastScalingAt: version, lastConfigChangeAt } };
      const used = new Set(this.usedServicePorts);
      for (const p of before ? servicePortsOf(before) : []) used.delete(p);
      const taken = servicePortsOf(next).filter((p) => used.has(p));
      if (taken.length && !(next.networks[0]?.mode === "host" && next.requirePorts)) {
        throw new CaravelError("CONFLICT", `service port(s) ${taken.join(", ")} of ${id} are already used by another app; use 0 to get a free one`, { path: "/portDefinitions" });
      }
      next = assignServicePorts(next, used, this.o.localPorts ?? { min: 10000, max: 20000 });
      target.set(id, next);
    }
    const plan = buildPlan(current, target, { id: randomUUID(), version, ...(req.restart ? { restart: req.restart } : {}) });
    const conflicts = [...new Set(plan.affectedApps.map((a) => this.locks.get(a)).filter((d): d is string => d !== undefined))];
    if (conflicts.length && !req.force) {
      throw new CaravelError("CONFLICT", `App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/${conflicts[0]}'.`, {
        details: { deployments: conflicts.map((id) => ({ id })) },
      });
    }
    for (const id of conflicts) await this.cancelDeployment(id, false);
    // The new apps become current now; their instances converge step by step.
    const writes: Promise<unknown>[] = [];
    for (const id of plan.affectedApps) {
      const app = target.get(id);
      const before = current.get(id);
      const specs = isPodSpec(app ?? before) ? this.pods : this.apps;
      if (before) for (const p of servicePortsOf(before)) this.usedServicePorts.delete(p);
      if (app) {
        specs.set(id, app);
        for (const p of servicePortsOf(app)) this.usedServicePorts.add(p);
        writes.push(this.o.repo.saveApp(app));
        if (!before || before.versionInfo?.lastConfigChangeAt !== app.versionInfo?.lastConfigChangeAt) this.backoffs.delete(id);
      } else {
        specs.delete(id);
        writes.push(this.o.repo.deleteApp(id));
      }
    }
    if (plan.steps.length) {
      writes.push(this.o.repo.saveDeployment(plan));
      this.registerDeployment(plan);
    }
    await Promise.all(writes);
    if (plan.steps.length) this.o.events.emit("deployment_info", { plan: planEvent(plan), currentStep: stepView(plan, plan.steps[0]) });
    this.o.events.emit("group_change_success", { groupId: "/", version });
    this.tick();
    return { deploymentId: plan.id, version, plan };
  }

  /** Cancels a deployment; with `rollback`, starts a deployment back to its original apps. */
  async cancelDeployment(id: string, rollback: boolean): Promise<{ deploymentId: string; version: string } | undefined> {
    const plan = this.deployments.get(id);
    if (!plan) throw new CaravelError("NOT_FOUND", `DeploymentPlan ${id} does not exist`);
    this.finishDeployment(plan, "deployment_failed", "canceled");
    if (!rollback) return undefined;
    const target = new Map(this.apps);
    const pods = new Map(this.pods);
    for (const appId of plan.affectedApps) {
      const original = plan.original[appId];
      const specs = isPodSpec(original ?? plan.target[appId]) ? pods : target;
      if (original) specs.set(appId, original);
      else specs.delete(appId);
    }
    const result = await this.deploy({ target, pods, force: true });
    return { deploymentId: result.deploymentId, version: result.version };
  }

  private finishDeployment(plan: DeploymentPlan, event: "deployment_success" | "deployment_failed", reason?: string): void {
    this.deployments.delete(plan.id);
    for (const [app, dep] of this.locks) if (dep === plan.id) this.locks.delete(app);
    this.persist(this.o.repo.deleteDeployment(plan.id));
    this.o.events.emit(event, { id: plan.id, plan: planEvent(plan), ...(reason ? { reason } : {}) });
    if (event === "deployment_success") {
      for (const a of plan.steps.flatMap((s) => s.actions)) if (a.action === "StopApplication") this.o.events.emit("app_terminated_event", { appId: a.app });
    }
  }

  /** Which definition drives an app now, and with which action. */
  private controlTarget(appId: string): { app: AppDefinition | undefined; action?: DeploymentPlan["steps"][number]["actions"][number]["action"] } {
    const depId = this.locks.get(appId);
    const plan = depId ? this.deployments.get(depId) : undefined;
    if (!plan) return { app: this.specOf(appId) };
    const stepIndex = plan.steps.findIndex((s) => s.actions.some((a) => a.app === appId && a.action !== "StartApplication"));
    const action = plan.steps[plan.currentStep]?.actions.find((a) => a.app === appId);
    if (stepIndex > plan.currentStep) {
      // Not reached yet: the app keeps its original definition (a new app stays at 0 instances).
      const original = plan.original[appId];
      const now = this.specOf(appId);
      return { app: original ?? (now ? { ...now, instances: 0 } : undefined) };
    }
    return action ? { app: action.action === "StopApplication" ? undefined : this.specOf(appId), action: action.action } : { app: this.specOf(appId) };
  }

  /** An app's or a pod's current run spec. */
  specOf(id: string): AppDefinition | undefined {
    return this.apps.get(id) ?? this.pods.get(id);
  }

  // ---- the convergence loop ---------------------------------------------------------------

  /**
   * Coalesces many changes (a burst of status updates) into one tick at most every 50 ms: a tick is
   * linear in the number of instances, so one per update would be quadratic during a mass launch.
   */
  requestTick(): void {
    if (this.tickScheduled) return;
    this.tickScheduled = true;
    setTimeout(() => {
      if (this.tickScheduled) this.tick();
    }, 50).unref();
  }

  /** Recomputes the launch queue, sends kills, advances deployments, and revives or suppresses. */
  tick(): void {
    const now = this.clock();
    this.tickScheduled = false;
    const ids = new Set<string>([...this.apps.keys(), ...this.pods.keys(), ...this.byApp.keys()]);
    const doneByApp = new Map<string, { done: boolean; action?: string }>();
    this.queue.clear();
    for (const appId of ids) {
      const { app, action } = this.controlTarget(appId);
      const instances = this.instancesOf(appId);
      const out = controlApp({ app, ...(action ? { action } : {}), instances, now, drainingAgents: this.drainingAgents });
      for (const victim of out.kill) this.killInstance(victim, "stopped");
      if (out.launch > 0 && app) {
        this.queue.set(appId, out.launch);
        if (!this.queueStats.has(appId)) this.queueStats.set(appId, new QueueStats(now));
      } else this.queueStats.delete(appId);
      doneByApp.set(appId, { done: out.done, ...(action ? { action } : {}) });
      if (app) this.readiness.poll(app, instances, now);
      this.expungeUnreachable(app, instances, now);
    }
    this.retryKills(now);
    this.advanceDeployments(doneByApp);
    const wantsOffers = this.queue.size > 0 || releasesPending(this.reservations, this.residentHost);
    if (wantsOffers && this.suppressed) {
      this.suppressed = false;
      this.port.revive();
    } else if (!wantsOffers && !this.suppressed && this.port.connected) {
      this.suppressed = true;
      this.port.suppress();
    }
  }

  private advanceDeployments(doneByApp: Map<string, { done: boolean; action?: string }>): void {
    for (const plan of [...this.deployments.values()]) {
      for (;;) {
        const step = plan.steps[plan.currentStep];
        if (!step) {
          this.finishDeployment(plan, "deployment_success");
          break;
        }
        const finished = (a: { action: string; app: string }) => {
          if (a.action === "StartApplication") return true;
          const d = doneByApp.get(a.app);
          // Only a verdict reached under this very action counts (not one from the previous step).
          return d === undefined ? a.action === "StopApplication" : d.done && d.action === a.action;
        };
        if (!step.actions.every(finished)) break;
        this.o.events.emit("deployment_step_success", { plan: planEvent(plan), currentStep: stepView(plan, step) });
        plan.currentStep++;
        this.persist(this.o.repo.saveDeployment(plan));
        if (plan.steps[plan.currentStep]) this.o.events.emit("deployment_info", { plan: planEvent(plan), currentStep: stepView(plan, plan.steps[plan.currentStep]) });
        if (plan.steps[plan.currentStep]?.actions.some((a) => a.action !== "StartApplication")) {
          // Re-evaluate at once under the new step's actions (the verdicts above were for the old one).
          this.tick();
          break;
        }
      }
    }
  }

  private expungeUnreachable(app: AppDefinition | undefined, instances: Instance[], now: number): void {
    const expungeMs = app && typeof app.unreachableStrategy === "object" ? app.unreachableStrategy.expungeAfterSeconds * 1000 : Infinity;
    for (const i of instances) {
      if (i.state === "TASK_UNREACHABLE" && i.unreachableSince !== undefined && now - i.unreachableSince >= expungeMs && i.goal === "running") {
        this.killInstance(i, "decommissioned");
      }
    }
  }

  private retryKills(now: number): void {
    const retryMs = this.o.killRetryMs ?? 30_000;
    for (const i of this.instances.values()) {
      if (i.goal !== "running" && isActive(i) && i.killRequestedAt !== undefined && now - i.killRequestedAt >= retryMs) {
        i.killRequestedAt = now;
        for (const t of taskIdsOf(i)) this.port.kill(t, i.agentId, this.specOf(i.appId)?.taskKillGracePeriodSeconds);
      }
    }
  }

  /** Asks Mesos to kill an instance's task; `goal` says whether it is to be forgotten. */
  killInstance(i: Instance, goal: "stopped" | "decommissioned"): void {
    if (i.goal !== "running" && i.killRequestedAt !== undefined) return;
    i.goal = goal;
    i.killRequestedAt = this.clock();
    this.persist(this.o.repo.saveInstance(i));
    if (!isActive(i)) {
      this.dropInstance(i);
      return;
    }
    for (const t of taskIdsOf(i)) this.port.kill(t, i.agentId, this.specOf(i.appId)?.taskKillGracePeriodSeconds);
    if (goal === "decommissioned" && (i.state === "TASK_UNREACHABLE" || i.state === "TASK_UNKNOWN")) this.dropInstance(i);
  }

  // ---- offers -----------------------------------------------------------------------------

  async handleOffers(offers: readonly Offer[]): Promise<void> {
    const now = this.clock();
    let views = offers.map((o) => viewOfOffer(o, this.drainingAgents.has(o.agent_id.value)));
    for (const v of views) this.lastOffers.set(v.agentId, { ...v, receivedAt: now });
    this.tick();
    let demands: LaunchDemand[] = [];
    for (const [appId, count] of this.queue) {
      const app = this.controlTarget(appId).app;
      if (!app) continue;
      const delay = this.backoffs.get(appId)?.delayUntil;
      demands.push({ app, count, ...(delay !== undefined ? { delayUntil: delay } : {}) });
    }
    // Resident apps place on (and give back) their own reservations; other apps never see those.
    const resident = await handleResidentOffers(this.reservations, this.residentHost, views, demands.filter((d) => isResident(d.app)));
    if (resident.created.length) this.reportCreated(resident.created);
    // A resident instance waiting (e.g. in backoff) needs its own agent's next offer soon: refuse briefly.
    const residentWaiting = demands.some((d) => isResident(d.app));
    demands = demands.filter((d) => !isResident(d.app));
    views = views.filter((v) => !resident.used.has(v.offerId)).map(withoutResidentReservations);
    if (demands.length === 0) {
      if (views.length) this.port.decline(views.map((v) => v.offerId), residentWaiting ? 5 : (this.o.declineSeconds ?? 120));
      return;
    }
    const placed = new Map<string, Record<string, string>[]>();
    for (const d of demands) {
      if (d.app.constraints.length === 0) continue;
      placed.set(d.app.id, this.instancesOf(d.app.id).filter((i) => isActive(i) && i.goal === "running").map((i) => i.attributes));
    }
    this.o.log.debug({ offers: views.length, demands: demands.map((d) => [d.app.id, d.count]) }, "offers");
    const out = placeInstances({ demands, offers: views, placed, now, defaultAcceptedRoles: this.o.defaultAcceptedRoles ?? ["*"], maxPerOffer: this.o.maxInstancesPerOffer ?? 100 });
    for (const [appId, perAgent] of out.evaluations) {
      const stats = this.queueStats.get(appId);
      for (const [agentId, r] of perAgent) stats?.record(agentId, now, r.fits ? undefined : r.filter);
    }
    const byOffer = new Map<string, ReturnType<typeof buildTaskInfo>[]>();
    const groups = new Map<string, PodLaunch[]>();
    const created: Instance[] = [];
    for (const p of out.placements) {
      if (isPodSpec(p.app)) {
        const { instance, launch } = createPodInstance({ ...p, app: p.app }, randomUUID(), now, this.frameworkId);
        this.indexInstance(instance);
        created.push(instance);
        (groups.get(p.offer.offerId) ?? groups.set(p.offer.offerId, []).get(p.offer.offerId)!).push(launch);
        continue;
      }
      const { instance, info } = this.createInstance(p);
      created.push(instance);
      (byOffer.get(p.offer.offerId) ?? byOffer.set(p.offer.offerId, []).get(p.offer.offerId)!).push(info);
    }
    // Persist before launching, so that a restarted Marathon knows every task it started.
    await Promise.all(created.map((i) => this.o.repo.saveInstance(i)));
    sendLaunches(this.port, byOffer, groups);
    this.o.log.debug({ launched: created.length, declined: out.unused.length }, "launched");
    if (out.unused.length) this.port.decline(out.unused.map((v) => v.offerId), refuseSecondsFor(demands, now));
    this.reportCreated(created);
    this.tick();
  }

  /** Counts and announces newly created instances. */
  private reportCreated(created: Instance[]): void {
    this.launched.count += created.length;
    for (const i of created) this.o.events.emit("instance_changed_event", { instanceId: i.instanceId, condition: "Created", runSpecId: i.appId, agentId: i.agentId, host: i.hostname, runSpecVersion: i.version });
  }

  /** A new instance of `p.app` on `p.offer` (indexed, not yet persisted) and its TaskInfo. */
  private createInstance(p: { app: AppDefinition; offer: OfferView; resources: Resource[]; hostPorts: number[] }): { instance: Instance; info: ReturnType<typeof buildTaskInfo> } {
    const now = this.clock();
    const instanceId = instanceIdOf(p.app.id, randomUUID());
    const info = buildTaskInfo({ app: p.app, instanceId, incarnation: 1, agentId: p.offer.agentId, hostname: p.offer.hostname, resources: p.resources, hostPorts: p.hostPorts, servicePorts: [] });
    const instance: Instance = {
      ...stagedInstance(p, instanceId, info.task_id.value, servicePortsOf(p.app), now),
      ...(p.app.readinessChecks.length ? { ready: false } : {}),
    };
    this.indexInstance(instance);
    return { instance, info };
  }

  /** The core as the resident-app hook sees it. */
  private readonly residentHost: ResidentHost = {
    frameworkId: () => this.frameworkId,
    now: () => this.clock(),
    wanted: () => new Map([...this.apps].map(([id, app]) => [id, app.instances])),
    isAlive: (instanceId) => {
      const i = this.instances.get(instanceId);
      return i !== undefined && isActive(i);
    },
    createInstance: (p) => this.createInstance(p),
    saveInstance: (i) => this.o.repo.saveInstance(i),
    accept: (offerIds, operations) => this.port.accept(offerIds, operations),
    newReservationId: (appId) => instanceIdOf(appId, randomUUID()),
  };

  rescind(offerId: string): void {
    for (const [agent, v] of this.lastOffers) if (v.offerId === offerId) this.lastOffers.delete(agent);
  }

  // ---- status updates -----------------------------------------------------------------------

  handleStatus(update: TaskStatus): void {
    const now = this.clock();
    const taskId = update.task_id.value;
    const agentId = update.agent_id?.value ?? "";
    if (update.uuid && update.agent_id) this.port.acknowledge(agentId, taskId, update.uuid);
    const instanceId = this.byTask.get(taskId);
    const i = instanceId ? this.instances.get(instanceId) : undefined;
    // A pod instance lives and dies as one: its containers' updates fold into one instance status.
    const status = i?.tasks ? podInstanceStatus(i, update, now) : update;
    if (!i) {
      if (!isTerminalState(status.state) && parseTaskId(taskId) && status.agent_id) {
        this.o.log.warn({ taskId }, "killing a task Marathon does not know");
        this.port.kill(taskId, agentId);
        this.o.events.emit("unknown_instance_terminated_event", { instanceId: parseTaskId(taskId)?.instanceId, runSpecId: parseTaskId(taskId)?.appId, condition: conditionOf(status.state, "running") });
      }
      return;
    }
    const previous = { state: i.state, healthy: i.healthy };
    if (i.state === status.state && i.healthy === status.healthy) return;
    if (isStaleUpdate(i.state, status.state)) return;
    i.state = status.state;
    if (status.message) i.lastMessage = status.message;
    if (status.healthy !== undefined) i.healthy = status.healthy;
    if (status.state === "TASK_RUNNING" && i.startedAt === undefined) i.startedAt = now;
    if (status.state === "TASK_UNREACHABLE") i.unreachableSince ??= now;
    else delete i.unreachableSince;
    const ips = (status.container_status?.network_infos ?? []).flatMap((n) => n.ip_addresses).filter((a) => a.ip_address);
    if (ips.length) i.ipAddresses = ips.map((a) => ({ ipAddress: a.ip_address!, protocol: a.protocol }));
    const app = this.specOf(i.appId);
    this.o.events.emit("status_update_event", {
      slaveId: i.agentId,
      taskId,
      // The task's own state (for a pod: this container's, while the instance follows the group).
      taskStatus: update.state,
      message: status.message ?? "",
      appId: i.appId,
      host: i.hostname,
      ipAddresses: i.ipAddresses,
      ports: i.ports,
      version: i.version,
    });
    if (previous.state !== status.state) {
      this.o.events.emit("instance_changed_event", { instanceId: i.instanceId, condition: conditionOf(status.state, i.goal), runSpecId: i.appId, agentId: i.agentId, host: i.hostname, runSpecVersion: i.version });
    }
    if (previous.healthy !== i.healthy && i.healthy !== undefined) {
      this.o.events.emit("health_status_changed_event", { appId: i.appId, instanceId: i.instanceId, version: i.version, alive: i.healthy });
      this.o.events.emit("instance_health_changed_event", { instanceId: i.instanceId, runSpecId: i.appId, runSpecVersion: i.version, healthy: i.healthy });
      if (!i.healthy) this.o.events.emit("failed_health_check_event", { appId: i.appId, instanceId: i.instanceId, healthCheck: app?.healthChecks[0] ?? {} });
      if (i.healthy && healthyRunResets(this.backoffs.get(i.appId), now)) this.backoffs.delete(i.appId);
    }
    if (status.state === "TASK_RUNNING" && app && app.healthChecks.length === 0 && healthyRunResets(this.backoffs.get(i.appId), now)) this.backoffs.delete(i.appId);
    if (isTerminalState(status.state)) {
      this.onTerminal(i, status, previous.healthy, now);
      this.dropInstance(i);
    } else this.persist(this.o.repo.saveInstance(i));
    this.requestTick();
  }

  private onTerminal(i: Instance, status: TaskStatus, wasHealthy: boolean | undefined, now: number): void {
    const app = this.specOf(i.appId);
    const healthKill =
      status.reason === "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED" ||
      (status.state === "TASK_KILLED" && i.goal === "running" && (wasHealthy === false || /health check/i.test(status.message ?? "")));
    if (healthKill) {
      this.o.events.emit("unhealthy_instance_kill_event", { appId: i.appId, taskId: i.taskId, instanceId: i.instanceId, version: i.version, reason: status.message ?? "health check failed", host: i.hostname, slaveId: i.agentId });
    }
    const failed = status.state !== "TASK_KILLED" || healthKill;
    if (i.goal === "running" && app && failed) {
      this.backoffs.set(i.appId, recordFailure(this.backoffs.get(i.appId), app, now));
      this.lastTaskFailure.set(i.appId, {
        appId: i.appId,
        host: i.hostname,
        message: status.message ?? "",
        state: status.state,
        taskId: i.taskId,
        timestamp: new Date(now).toISOString(),
        version: i.version,
        slaveId: i.agentId,
      });
    }
  }

  /** Tasks to reconcile: every instance Marathon believes may be alive. */
  reconcileAll(): void {
    const tasks = [...this.instances.values()].filter(isActive).flatMap((i) => taskIdsOf(i).map((taskId) => ({ taskId, agentId: i.agentId })));
    this.port.reconcile(tasks);
    this.port.reconcile([]);
  }

  /** Called when a (re)subscription succeeded: forget suppression state and resync. */
  onSubscribed(frameworkId: string): void {
    if (this.frameworkId !== frameworkId) {
      this.frameworkId = frameworkId;
      this.persist(this.o.repo.saveFrameworkId(frameworkId));
    }
    this.suppressed = false;
    this.reconcileAll();
    this.tick();
  }

  /** Resets an app's launch backoff. */
  resetDelay(appId: string): boolean {
    return this.backoffs.delete(appId);
  }

  /** Marks agents as draining (from the master's operator API). */
  setDraining(agents: Iterable<string>): void {
    const next = new Set(agents);
    const changed = next.size !== this.drainingAgents.size || [...next].some((a) => !this.drainingAgents.has(a));
    if (!changed) return;
    this.drainingAgents.clear();
    for (const a of next) this.drainingAgents.add(a);
    this.tick();
  }
}

/**
 * How long unused offers are refused: 5 s, or less when an app's launch backoff ends sooner, so that
 * a replacement waits for its backoff (1 s by default), not for the offer filter on top of it.
 */
export function refuseSecondsFor(demands: readonly LaunchDemand[], now: number): number {
  const backoffEnds = demands.map((d) => d.delayUntil ?? 0).filter((t) => t > now);
  return backoffEnds.length ? Math.max(0.05, Math.min(5, (Math.min(...backoffEnds) - now) / 1000)) : 5;
}

const sameConfig = (a: AppDefinition, b: AppDefinition): boolean =>
  canonicalJson({ ...a, instances: 0, version: undefined, versionInfo: undefined }) === canonicalJson({ ...b, instances: 0, version: undefined, versionInfo: undefined });

/** The plan as events carry it: `{id, steps, version}`. */
export const planEvent = (plan: DeploymentPlan) => ({ id: plan.id, steps: planView(plan).steps, version: plan.version });
