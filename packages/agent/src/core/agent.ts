/**
 * One agent: its picture of frameworks and tasks, the handling of the master's commands, and the
 * status update manager around it. It plays Mesos' command executor (one container per task) and
 * default executor (task groups) itself; containerizers only run containers.
 *
 * Durable state goes through a Checkpointer before the master hears of it, so that a restarted agent
 * (kill -9) reattaches to its containers, resends what was not acknowledged and reports what ended.
 */
import { randomUUID } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { AgentEvent, MasterInfo, Attribute, ExecutorInfo, FrameworkInfo, KillPolicy, Resource, TaskInfo, TaskState, TaskStatus } from "@caravel/api";
import { hasCapability, isTerminalState } from "@caravel/api";
import type { Logger } from "@caravel/runtime";
import type { Containerizer } from "../containerizers/types.js";
import { LaunchError } from "../containerizers/types.js";
import { SimContainerizer } from "../containerizers/sim/index.js";
import { HealthChecker } from "../health/checker.js";
import { StatusStreams } from "../status/stream.js";
import type { EndedSandbox } from "../files/gc.js";
import type { Checkpointer } from "./checkpoint.js";
import { buildLaunchSpec } from "./launch-spec.js";
import { MasterLink } from "./master-link.js";
import { createRunDir, createRunDirSync, linkLatestAgent, runDir } from "./sandbox.js";
import { subscribeCall } from "./subscribe.js";
import { appIdOf, buildStatus, exitOutcome, gracePeriodMs, type TaskRecord } from "./task-record.js";
import { applyVolumeOperation, ensureVolumes } from "./volumes.js";
import { AgentMetrics } from "./metrics.js";

export const AGENT_VERSION = "1.11.0-caravel";
const COMPLETED_LIMIT = 1000;

export interface AgentSettings {
  /** Master base URLs, or a function giving the current leader's (zk://). */
  masters: string[] | (() => string[]);
  hostname: string;
  /** IP the master and tasks reach this agent on. */
  ip: string;
  port: number;
  workDir: string;
  resources: Resource[];
  attributes: Attribute[];
  containerizers: Containerizer[];
  backoffFactorMs: number;
  statusRetryMs: number;
  defaultGraceMs: number;
  dnsServer?: string;
  /** Simulated agents in bulk: no sandbox directories. */
  lightweight?: boolean;
}

export interface AgentDeps {
  settings: AgentSettings;
  checkpointer: Checkpointer;
  log: Logger;
  metrics?: AgentMetrics;
  /** The master removed this agent (SHUTDOWN event). */
  onShutdown?: (message: string) => void;
}

/**
 * Checkpoint keys: `agent` → AgentCheckpoint, `framework/<id>` → FrameworkInfo,
 * `task/<key>` → TaskCheckpoint, `completed/<key>` → TaskRecord, `ended/<containerId>` → EndedSandbox.
 */
interface AgentCheckpoint {
  version: 1;
  agentId?: string;
  checkpointedResources: Resource[];
}
/** What changes with every update (`state/<key>`); the rest of the record (`task/<key>`) rarely does. */
const DYNAMIC = ["state", "latestStatus", "killRequested", "healthy", "startedAt", "endedAt"] as const;
type TaskStatic = Omit<TaskRecord, (typeof DYNAMIC)[number]>;
type TaskDynamic = Pick<TaskRecord, (typeof DYNAMIC)[number]> & { pending: TaskStatus[]; latestIsPending?: boolean };

const keyOf = (frameworkId: string, taskId: string): string => `${frameworkId}\u0000${taskId}`;

export class Agent {
  readonly startTime = Date.now() / 1000;
  agentId: string | undefined;
  masterInfo: MasterInfo | undefined;
  readonly frameworks = new Map<string, FrameworkInfo>();
  readonly tasks = new Map<string, TaskRecord>();
  readonly completed: TaskRecord[] = [];
  /** Ended tasks' sandboxes, for GC. */
  ended: EndedSandbox[] = [];
  checkpointedResources: Resource[] = [];
  readonly streams: StatusStreams;
  readonly link: MasterLink;
  readonly metrics: AgentMetrics;
  private readonly checkpointer: Checkpointer;
  private readonly health = new Map<string, HealthChecker>();
  private retryTimer: ReturnType<typeof setInterval> | undefined;
  /** performance.now() when RUN_TASK arrived / when the container's exit was seen, for overhead metrics. */
  private readonly receivedAt = new Map<string, number>();
  private readonly exitSeenAt = new Map<string, number>();
  /** Keys whose static checkpoint part is written, and whether it had the container handle. */
  private readonly persistedStatic = new Map<string, boolean>();
  private closed = false;
  /** The last checkpointed FrameworkInfo per framework, serialized. */
  private readonly frameworkJson = new Map<string, string>();
  /** Launches in progress (a lone one makes its sandbox synchronously, a burst through the pool). */
  private launching = 0;

  constructor(private readonly deps: AgentDeps) {
    const s = deps.settings;
    this.streams = new StatusStreams(s.statusRetryMs);
    this.metrics = deps.metrics ?? new AgentMetrics();
    this.checkpointer = deps.checkpointer;
    this.link = new MasterLink({
      masters: s.masters,
      subscribeCall: () => this.subscribeCall(),
      onEvent: (e) => this.handle(e),
      onDisconnected: () => {
        this.metrics.registered = 0;
        deps.log.warn("disconnected from the master; reconnecting");
      },
      backoffFactorMs: s.backoffFactorMs,
      log: deps.log,
    });
  }

  get settings(): AgentSettings {
    return this.deps.settings;
  }

  /** Reads the checkpoint and reattaches to containers; call before `start`. */
  async recover(): Promise<void> {
    const data = await this.checkpointer.load();
    const agent = data.get("agent") as AgentCheckpoint | undefined;
    if (!agent || agent.version !== 1) return this.removeOrphans();
    this.agentId = agent.agentId;
    this.checkpointedResources = agent.checkpointedResources ?? [];
    const statics = new Map<string, TaskStatic>();
    const dynamics = new Map<string, TaskDynamic>();
    for (const [key, value] of data) {
      if (key.startsWith("framework/")) {
        const f = value as FrameworkInfo;
        if (f.id) this.frameworks.set(f.id.value, f);
      } else if (key.startsWith("completed/")) this.completed.push(value as TaskRecord);
      else if (key.startsWith("ended/")) this.ended.push(value as EndedSandbox);
      else if (key.startsWith("task/")) statics.set(key.slice(5), value as TaskStatic);
      else if (key.startsWith("state/")) dynamics.set(key.slice(6), value as TaskDynamic);
    }
    const tasks: Array<{ record: TaskRecord; pending: TaskStatus[] }> = [];
    for (const [key, fixed] of statics) {
      const dynamic = dynamics.get(key);
      if (!dynamic) continue;
      const { pending, latestIsPending, ...rest } = dynamic;
      const record = { ...fixed, ...rest } as TaskRecord;
      if (latestIsPending && pending.length) record.latestStatus = pending.at(-1);
      if (record.container?.spec && !record.container.spec.task) record.container.spec.task = record.info;
      tasks.push({ record, pending });
      this.persistedStatic.set(key, fixed.container !== undefined);
    }
    const byContainerizer = new Map<string, TaskRecord[]>();
    const lost: TaskRecord[] = [];
    for (const { record, pending } of tasks) {
      const key = keyOf(record.frameworkId, record.info.task_id.value);
      this.tasks.set(key, record);
      this.streams.restore(key, record.frameworkId, pending);
      if (isTerminalState(record.state)) continue;
      if (!record.container || !this.containerizerNamed(record.containerizer)) lost.push(record);
      else byContainerizer.set(record.containerizer, [...(byContainerizer.get(record.containerizer) ?? []), record]);
    }
    for (const [name, records] of byContainerizer) {
      const cz = this.containerizerNamed(name)!;
      const running = new Set(await cz.recover(records.map((r) => r.container!)).catch((error: unknown) => {
        this.deps.log.error({ err: error, containerizer: name }, "recovery failed; its tasks are reported lost");
        return [] as string[];
      }));
      for (const record of records) {
        if (running.has(record.containerId) && record.state !== "TASK_RUNNING" && record.state !== "TASK_KILLING") this.update(record, "TASK_RUNNING");
        this.watch(record, cz);
        if (running.has(record.containerId)) this.startHealth(record, cz);
      }
    }
    for (const record of lost) {
      const outcome = exitOutcome({ exitCode: null, reason: "REASON_AGENT_RESTARTED", message: "the agent restarted before the container was recorded" }, false, this.frameworks.get(record.frameworkId));
      this.terminate(record, outcome.state, outcome);
    }
    this.deps.log.info({ agentId: this.agentId, tasks: this.tasks.size, pending: this.streams.size }, "recovered from checkpoint");
    await this.checkpointer.flush();
    await this.removeOrphans();
  }

  /**
   * Kills containers no checkpoint knows (launched just before a crash that lost the checkpoint), as
   * Mesos destroys unknown containers on recovery. Containerizers that can do it offer `removeOrphans`.
   */
  private async removeOrphans(): Promise<void> {
    const keep = [...this.tasks.values()].map((r) => r.containerId);
    for (const cz of this.settings.containerizers) {
      const withOrphans = cz as Containerizer & { removeOrphans?: (...args: never[]) => Promise<string[]> };
      if (typeof withOrphans.removeOrphans !== "function") continue;
      try {
        const remove = withOrphans.removeOrphans as unknown as (this: Containerizer, ...args: unknown[]) => Promise<string[]>;
        if (cz.name === "mesos") await remove.call(cz, keep);
        else if (cz.name === "docker" && this.agentId) await remove.call(cz, this.agentId, keep);
      } catch (error) {
        this.deps.log.warn({ err: error, containerizer: cz.name }, "could not remove orphan containers");
      }
    }
  }

  start(): void {
    this.link.start();
    this.retryTimer = setInterval(() => this.retryDue(), 1000);
    this.retryTimer.unref?.();
  }

  /** Stops talking to the master; containers keep running (a restarted agent recovers them). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearInterval(this.retryTimer);
    for (const h of this.health.values()) h.stop();
    await this.link.stop();
    await this.checkpointer.close().catch(() => undefined);
  }

  handle(event: AgentEvent): void {
    switch (event.type) {
      case "SUBSCRIBED":
        return this.onSubscribed(event.subscribed!);
      case "RUN_TASK":
        return void this.runTask(event.run_task!.framework, event.run_task!.task);
      case "RUN_TASK_GROUP":
        return void this.runTaskGroup(event.run_task_group!.framework, event.run_task_group!.executor, event.run_task_group!.task_group.tasks);
      case "KILL_TASK": {
        const k = event.kill_task!;
        return this.killTask(k.framework_id.value, k.task_id.value, k.kill_policy);
      }
      case "SHUTDOWN_FRAMEWORK":
        return this.shutdownFramework(event.shutdown_framework!.framework_id.value);
      case "ACKNOWLEDGE": {
        const a = event.acknowledge!;
        return this.acknowledge(a.framework_id.value, a.task_id.value, a.uuid);
      }
      case "CHECKPOINT_RESOURCES":
        this.checkpointedResources = event.checkpoint_resources!.resources;
        if (!this.settings.lightweight) void ensureVolumes(this.settings.workDir, this.checkpointedResources).catch((e: unknown) => this.deps.log.error({ err: e }, "cannot create volume"));
        this.persistAgent();
        void this.checkpointer.flush();
        return;
      case "APPLY_OPERATION":
        if (!this.settings.lightweight) {
          void applyVolumeOperation(this.settings.workDir, event.apply_operation!.operation).catch((e: unknown) => this.deps.log.error({ err: e }, "volume operation failed"));
        }
        return;
      case "PING":
        void this.link.send({ type: "PONG", agent_id: { value: this.agentId ?? "" } });
        return;
      case "SHUTDOWN":
        return void this.shutdown(event.shutdown?.message ?? "the master asked this agent to shut down");
      case "ERROR":
        this.deps.log.error({ message: event.error?.message }, "the master sent an error");
        return;
    }
  }

  private onSubscribed(s: NonNullable<AgentEvent["subscribed"]>): void {
    if (this.agentId && this.agentId !== s.agent_id.value) {
      this.deps.log.warn({ old: this.agentId, new: s.agent_id.value }, "the master gave this agent a new id");
    }
    this.agentId = s.agent_id.value;
    this.masterInfo = s.master_info;
    this.link.setPingInterval(s.ping_interval_seconds);
    this.metrics.registered = 1;
    this.deps.log.info({ agentId: this.agentId, master: this.link.masterUrl }, "subscribed to the master");
    // Everything unacknowledged goes again on the new stream (each head once: `update` may race us).
    const heads = this.streams.heads();
    this.persistAgent();
    if (!this.settings.lightweight) void linkLatestAgent(this.settings.workDir, this.agentId).catch(() => undefined);
    void this.checkpointer.flush().then(() => {
      for (const head of heads) if (this.streams.head(head.taskId) === head.status && !this.streams.sent(head.taskId)) this.send(head.taskId, head.frameworkId, head.status);
    });
  }

  private subscribeCall() {
    const s = this.settings;
    const live: Array<{ record: TaskRecord; pending: readonly TaskStatus[] }> = [];
    for (const [key, record] of this.tasks) live.push({ record, pending: this.streams.pending(key) });
    const input: Parameters<typeof subscribeCall>[0] = {
      hostname: s.hostname,
      port: s.port,
      ip: s.ip,
      resources: s.resources,
      attributes: s.attributes,
      checkpointedResources: this.checkpointedResources,
      frameworks: this.frameworks.values(),
      tasks: live,
      completed: this.completed.slice(-200),
      containerizers: s.containerizers.map((c) => c.name),
      version: AGENT_VERSION,
    };
    if (this.agentId) input.agentId = this.agentId;
    return subscribeCall(input);
  }

  // ---- tasks ---------------------------------------------------------------------------------

  private pick(task: TaskInfo): Containerizer | undefined {
    return this.settings.containerizers.find((c) => c.accepts(task.container));
  }

  private containerizerNamed(name: string): Containerizer | undefined {
    return this.settings.containerizers.find((c) => c.name === name);
  }

  private newRecord(frameworkId: string, task: TaskInfo, executorId: string, sandbox: string, containerId: string, cz: Containerizer | undefined): TaskRecord {
    return { frameworkId, info: task, executorId, containerizer: cz?.name ?? "mesos", containerId, sandbox, state: "TASK_STAGING" };
  }

  async runTask(framework: FrameworkInfo, task: TaskInfo): Promise<void> {
    const received = performance.now();
    const fid = framework.id?.value ?? "";
    const key = keyOf(fid, task.task_id.value);
    if (this.tasks.has(key)) {
      this.deps.log.warn({ task: task.task_id.value }, "ignoring RUN_TASK for a task this agent already runs");
      return;
    }
    this.rememberFramework(fid, framework);
    const cz = this.pick(task);
    const containerId = randomUUID();
    const executorId = task.task_id.value;
    const sandbox = runDir(this.settings.workDir, this.agentId ?? "unknown", fid, executorId, containerId);
    const record = this.newRecord(fid, task, executorId, sandbox, containerId, cz);
    this.tasks.set(key, record);
    this.receivedAt.set(key, received);
    if (!cz) return this.failLaunch(record, `no containerizer of this agent (${this.names()}) runs a ${task.container?.type ?? "command"} task`);
    if (task.executor) return this.failLaunch(record, "custom executors are not supported by caravel-agent; send a command task or a task group");
    await this.launch(record, cz);
  }

  async runTaskGroup(framework: FrameworkInfo, executor: ExecutorInfo, tasks: TaskInfo[]): Promise<void> {
    const fid = framework.id?.value ?? "";
    this.rememberFramework(fid, framework);
    const executorId = executor.executor_id.value;
    const execContainer = randomUUID();
    const execDir = runDir(this.settings.workDir, this.agentId ?? "unknown", fid, executorId, execContainer);
    const ids = tasks.map((t) => t.task_id.value);
    const records: Array<[TaskRecord, Containerizer | undefined]> = [];
    for (const task of tasks) {
      const key = keyOf(fid, task.task_id.value);
      if (this.tasks.has(key)) continue;
      const cz = this.pick({ ...task, container: task.container ?? executor.container });
      const record = this.newRecord(fid, task, executorId, join(execDir, "tasks", task.task_id.value), randomUUID(), cz);
      record.group = ids;
      this.tasks.set(key, record);
      records.push([record, cz]);
    }
    if (!this.settings.lightweight) await createRunDir(this.settings.workDir, this.agentId ?? "unknown", fid, executorId, execContainer).catch(() => undefined);
    const [first, ...rest] = records;
    if (!first) return;
    // The first container owns the network namespace the others join (Mesos' default executor).
    if (!first[1]) {
      for (const [r] of records) this.failLaunch(r, `no containerizer of this agent (${this.names()}) runs this task group`);
      return;
    }
    await this.launch(first[0], first[1]);
    await Promise.all(
      rest.map(([r, cz]) => (cz ? this.launch(r, cz, first[0].containerId) : this.failLaunch(r, `no containerizer of this agent (${this.names()}) runs this task`))),
    );
  }

  private names(): string {
    return this.settings.containerizers.map((c) => c.name).join(",");
  }

  private async launch(record: TaskRecord, cz: Containerizer, networkOf?: string): Promise<void> {
    this.launching++;
    try {
      await this.launchCounted(record, cz, networkOf);
    } finally {
      this.launching--;
    }
  }

  private async launchCounted(record: TaskRecord, cz: Containerizer, networkOf?: string): Promise<void> {
    const s = this.settings;
    const key = keyOf(record.frameworkId, record.info.task_id.value);
    const started = this.receivedAt.get(key) ?? performance.now();
    this.receivedAt.delete(key);
    try {
      if (!s.lightweight) {
        if (record.group) await mkdir(record.sandbox, { recursive: true });
        else {
          const onLinkError = (e: unknown) => this.deps.log.warn({ err: e }, "cannot link runs/latest");
          const args = [s.workDir, this.agentId ?? "unknown", record.frameworkId, record.executorId, record.containerId, onLinkError] as const;
          if (this.launching <= 2) createRunDirSync(...args);
          else await createRunDir(...args);
        }
      }
    } catch (error) {
      return this.failLaunch(record, `cannot create the sandbox ${record.sandbox}: ${(error as Error).message}`);
    }
    this.update(record, "TASK_STARTING");
    const ctx: Parameters<typeof buildLaunchSpec>[1] = {
      containerId: record.containerId,
      agentId: this.agentId ?? "unknown",
      frameworkId: record.frameworkId,
      executorId: record.executorId,
      sandbox: record.sandbox,
      workDir: s.workDir,
      hostname: s.hostname,
      agentEndpoint: `${s.ip}:${s.port}`,
      checkpoint: true,
    };
    if (s.dnsServer) ctx.dnsServer = s.dnsServer;
    if (networkOf) ctx.networkOf = networkOf;
    let inContainerizer = performance.now();
    try {
      record.container = await cz.launch(buildLaunchSpec(record.info, ctx));
      inContainerizer = performance.now() - inContainerizer;
    } catch (error) {
      const reason = error instanceof LaunchError ? error.reason : "REASON_CONTAINER_LAUNCH_FAILED";
      return this.terminate(record, "TASK_FAILED", { reason, message: (error as Error).message });
    }
    this.metrics.observeLaunch(performance.now() - started, inContainerizer);
    record.startedAt = Date.now();
    if (record.killRequested) {
      this.watch(record, cz);
      void cz.kill(record.containerId, gracePeriodMs(record.info, undefined, s.defaultGraceMs));
      return;
    }
    this.update(record, "TASK_RUNNING");
    this.watch(record, cz);
    this.startHealth(record, cz);
  }

  private failLaunch(record: TaskRecord, message: string): void {
    this.terminate(record, "TASK_FAILED", { reason: "REASON_CONTAINER_LAUNCH_FAILED", message });
  }

  private watch(record: TaskRecord, cz: Containerizer): void {
    cz.wait(record.containerId).then(
      (exit) => {
        this.exitSeenAt.set(keyOf(record.frameworkId, record.info.task_id.value), performance.now());
        const outcome = exitOutcome(exit, record.killRequested === true, this.frameworks.get(record.frameworkId));
        this.terminate(record, outcome.state, outcome);
        if (record.group && outcome.state !== "TASK_FINISHED") this.killGroup(record, `task ${record.info.task_id.value} of the group ended ${outcome.state}`);
      },
      (error: unknown) => this.terminate(record, "TASK_FAILED", { reason: "REASON_EXECUTOR_TERMINATED", message: `lost track of the container: ${(error as Error).message}` }),
    );
  }

  private startHealth(record: TaskRecord, cz: Containerizer): void {
    const check = record.info.health_check;
    if (!check || this.closed) return;
    const key = keyOf(record.frameworkId, record.info.task_id.value);
    const simulated = cz instanceof SimContainerizer ? () => cz.healthy(record.containerId) : undefined;
    // A check on a host port published by a bridge container (Marathon sends host ports) is probed
    // where the port is published, the agent's address; other ports on the container's own address.
    const checkPort = check.http?.port ?? check.tcp?.port;
    const publishedHere = (record.info.container?.docker?.port_mappings ?? []).some((m) => m.host_port === checkPort);
    const target = {
      host: publishedHere ? this.settings.ip : (cz.info(record.containerId).ipAddress ?? this.settings.ip),
      exec: (timeoutMs: number) => cz.exec(record.containerId, check.command ?? { uris: [], shell: true, arguments: [] }, timeoutMs),
      ...(simulated ? { simulated } : {}),
    };
    const checker = new HealthChecker(check, target, record.startedAt ?? Date.now(), {
      report: (healthy, message) => {
        if (isTerminalState(record.state) || record.killRequested) return;
        record.healthy = healthy;
        this.update(record, "TASK_RUNNING", { healthy, reason: "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED", ...(message ? { message } : {}) });
      },
      kill: (message) => {
        this.deps.log.info({ task: record.info.task_id.value, message }, "killing an unhealthy task");
        this.killOne(record, gracePeriodMs(record.info, undefined, this.settings.defaultGraceMs));
      },
    });
    this.health.get(key)?.stop();
    this.health.set(key, checker);
    checker.start();
  }

  killTask(frameworkId: string, taskId: string, policy: KillPolicy | undefined): void {
    const record = this.tasks.get(keyOf(frameworkId, taskId));
    if (!record) {
      this.deps.log.warn({ frameworkId, taskId }, "KILL_TASK for a task this agent does not know");
      const fw = this.frameworks.get(frameworkId);
      const state: TaskState = fw && hasCapability(fw, "PARTITION_AWARE") ? "TASK_DROPPED" : "TASK_LOST";
      // Not checkpointed and without uuid: nothing to acknowledge for a task that never ran here.
      void this.link.send({
        type: "UPDATE",
        agent_id: { value: this.agentId ?? "" },
        update: {
          framework_id: { value: frameworkId },
          status: { task_id: { value: taskId }, state, source: "SOURCE_AGENT", reason: "REASON_TASK_UNKNOWN", message: "the agent does not know this task", agent_id: { value: this.agentId ?? "" }, timestamp: Date.now() / 1000 },
        },
      });
      return;
    }
    const grace = gracePeriodMs(record.info, policy, this.settings.defaultGraceMs);
    if (record.group) this.killGroup(record, "a task of the group was killed", grace);
    else this.killOne(record, grace);
  }

  private killGroup(record: TaskRecord, why: string, grace?: number): void {
    for (const id of record.group ?? []) {
      const member = this.tasks.get(keyOf(record.frameworkId, id));
      if (member && !isTerminalState(member.state)) {
        this.deps.log.info({ task: id, why }, "killing a task group member");
        this.killOne(member, grace ?? gracePeriodMs(member.info, undefined, this.settings.defaultGraceMs));
      }
    }
  }

  private killOne(record: TaskRecord, graceMs: number): void {
    if (isTerminalState(record.state) || record.killRequested) return;
    record.killRequested = true;
    const key = keyOf(record.frameworkId, record.info.task_id.value);
    this.health.get(key)?.stop();
    this.health.delete(key);
    const fw = this.frameworks.get(record.frameworkId);
    if (!record.container) return; // launching: `launch` kills it once the container exists
    if (fw && hasCapability(fw, "TASK_KILLING_STATE")) this.update(record, "TASK_KILLING");
    const cz = this.containerizerNamed(record.containerizer);
    void cz?.kill(record.containerId, graceMs).catch((error: unknown) => this.deps.log.error({ err: error, task: record.info.task_id.value }, "kill failed"));
  }

  /** Kills every running task and waits for them to end (`--cleanup_on_exit`: a local cluster going down). */
  async killAllTasks(): Promise<void> {
    const waits: Promise<unknown>[] = [];
    for (const record of this.tasks.values()) {
      if (isTerminalState(record.state)) continue;
      this.killOne(record, gracePeriodMs(record.info, undefined, this.settings.defaultGraceMs));
      const cz = this.containerizerNamed(record.containerizer);
      if (cz && record.container) waits.push(cz.wait(record.containerId).catch(() => undefined));
    }
    await Promise.all(waits);
  }

  shutdownFramework(frameworkId: string): void {
    for (const record of this.tasks.values()) {
      if (record.frameworkId === frameworkId) this.killOne(record, gracePeriodMs(record.info, undefined, this.settings.defaultGraceMs));
    }
  }

  private async shutdown(message: string): Promise<void> {
    this.deps.log.warn({ message }, "the master removed this agent; killing its tasks and shutting down");
    await this.killAllTasks();
    // The id is gone for good: a restarted agent registers as a new one.
    this.agentId = undefined;
    const keys = [...this.tasks.keys()];
    this.tasks.clear();
    for (const key of keys) this.persistTask(key);
    this.persistAgent();
    for (const key of [...this.streams.heads()].map((h) => h.taskId)) this.streams.drop(key);
    await this.close();
    this.deps.onShutdown?.(message);
  }

  // ---- status updates ------------------------------------------------------------------------

  /** Records a new state, checkpoints it and forwards it in order. */
  private update(record: TaskRecord, state: TaskState, extra: { reason?: TaskStatus["reason"]; message?: string; healthy?: boolean } = {}): void {
    const cz = this.containerizerNamed(record.containerizer);
    const ip = (record.container && cz?.info(record.containerId).ipAddress) || this.settings.ip;
    const opts: Parameters<typeof buildStatus>[2] = { ipAddress: ip, agentId: this.agentId ?? "", now: Date.now(), ...extra };
    if (extra.healthy === undefined && record.healthy !== undefined) opts.healthy = record.healthy;
    const status = buildStatus(record, state, opts);
    this.metrics.transition(record.state, state);
    record.state = state;
    record.latestStatus = status;
    const key = keyOf(record.frameworkId, record.info.task_id.value);
    const isHead = this.streams.enqueue(key, record.frameworkId, status);
    this.metrics.validUpdates++;
    this.persistTask(key);
    void this.checkpointer.flush().then(
      () => {
        if (isHead && this.streams.head(key) === status && !this.streams.sent(key)) this.send(key, record.frameworkId, status);
      },
      (error: unknown) => this.deps.log.error({ err: error }, "checkpoint failed"),
    );
  }

  private terminate(record: TaskRecord, state: TaskState, extra: { reason?: TaskStatus["reason"]; message?: string }): void {
    if (isTerminalState(record.state)) return;
    const key = keyOf(record.frameworkId, record.info.task_id.value);
    this.health.get(key)?.stop();
    this.health.delete(key);
    record.endedAt = Date.now();
    this.update(record, state, extra);
    const cz = this.containerizerNamed(record.containerizer);
    if (record.container) void cz?.destroy(record.containerId).catch(() => undefined);
    if (!this.settings.lightweight) {
      const ended: EndedSandbox = { key: record.containerId, appId: appIdOf(record.info.task_id.value), endedAt: record.endedAt, path: record.group ? join(record.sandbox, "..", "..") : record.sandbox };
      this.ended.push(ended);
      this.checkpointer.put(`ended/${ended.key}`, ended);
    }
  }

  private send(key: string, frameworkId: string, status: TaskStatus): void {
    const record = this.tasks.get(key);
    if (!this.link.connected) return;
    this.streams.markSent(key, Date.now());
    const update: { status: TaskStatus; framework_id: { value: string }; latest_state?: TaskState } = { status, framework_id: { value: frameworkId } };
    if (record) update.latest_state = record.state;
    const exitSeen = this.exitSeenAt.get(key);
    if (exitSeen !== undefined && isTerminalState(status.state)) {
      this.exitSeenAt.delete(key);
      this.metrics.observeExit(performance.now() - exitSeen);
    }
    void this.link.send({ type: "UPDATE", agent_id: { value: this.agentId ?? "" }, update });
  }

  private retryDue(): void {
    if (!this.link.connected) return;
    for (const due of this.streams.due(Date.now())) this.send(due.taskId, due.frameworkId, due.status);
  }

  acknowledge(frameworkId: string, taskId: string, uuid: string): void {
    const key = keyOf(frameworkId, taskId);
    const result = this.streams.acknowledge(key, uuid);
    if (!result.matched) {
      this.metrics.invalidAcks++;
      return;
    }
    const record = this.tasks.get(key);
    if (result.next) this.send(key, frameworkId, result.next);
    else if (record && isTerminalState(record.state)) {
      this.tasks.delete(key);
      this.completed.push(record);
      this.checkpointer.put(`completed/${key}`, record);
      for (const old of this.completed.splice(0, Math.max(0, this.completed.length - COMPLETED_LIMIT))) {
        this.checkpointer.delete(`completed/${keyOf(old.frameworkId, old.info.task_id.value)}`);
      }
    }
    this.persistTask(key);
    void this.checkpointer.flush();
  }

  // ---- checkpoints -----------------------------------------------------------------------------

  private persistAgent(): void {
    const value: AgentCheckpoint = { version: 1, checkpointedResources: this.checkpointedResources };
    if (this.agentId) value.agentId = this.agentId;
    this.checkpointer.put("agent", value);
  }

  private persistTask(key: string): void {
    const record = this.tasks.get(key);
    if (!record) {
      this.persistedStatic.delete(key);
      this.checkpointer.delete(`task/${key}`);
      this.checkpointer.delete(`state/${key}`);
      return;
    }
    // The static part (task info, container handle) is written when it changes: at first and once
    // the container exists; every update writes only the small dynamic part.
    const hasContainer = record.container !== undefined;
    if (this.persistedStatic.get(key) !== hasContainer) {
      const fixed: Record<string, unknown> = { ...record };
      for (const f of DYNAMIC) delete fixed[f];
      // The launch spec's task is the record's own TaskInfo: written once, put back on recovery.
      if (record.container) fixed["container"] = { ...record.container, spec: { ...record.container.spec, task: undefined } };
      this.checkpointer.put(`task/${key}`, fixed);
      this.persistedStatic.set(key, hasContainer);
    }
    const pending = this.streams.pending(key);
    const dynamic: Record<string, unknown> = { pending };
    for (const f of DYNAMIC) if (record[f] !== undefined) dynamic[f] = record[f];
    // The newest status is usually the last unacknowledged one: written once, restored on recovery.
    if (record.latestStatus !== undefined && pending.at(-1) === record.latestStatus) {
      delete dynamic["latestStatus"];
      dynamic["latestIsPending"] = true;
    }
    this.checkpointer.put(`state/${key}`, dynamic);
  }

  private rememberFramework(id: string, info: FrameworkInfo): void {
    this.frameworks.set(id, info);
    // Every RUN_TASK carries the FrameworkInfo: one serialization each, compared with the last one.
    const json = JSON.stringify(info);
    if (this.frameworkJson.get(id) === json) return;
    this.frameworkJson.set(id, json);
    this.checkpointer.put(`framework/${id}`, info);
  }

  /** Drops GC'd sandboxes from the list and persists it. */
  forgetEnded(keys: ReadonlySet<string>): void {
    this.ended = this.ended.filter((e) => !keys.has(e.key));
    for (const key of keys) this.checkpointer.delete(`ended/${key}`);
    void this.checkpointer.flush();
  }
}
