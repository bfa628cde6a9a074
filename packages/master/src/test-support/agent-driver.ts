/**
 * A scripted agent that speaks Caravel's agent protocol, for the master's own tests: it registers,
 * answers PINGs, and plays tasks through STARTING/RUNNING (or as told), so that master behaviour can
 * be checked without real containers.
 */
import { randomBytes } from "node:crypto";
import { AGENT_API_PATH, AgentEvent, RecordIODecoder, parseResources, type AgentTask, type TaskState, type TaskStatus } from "@caravel/api";

export interface AgentDriverOptions {
  masterUrl: string;
  hostname?: string;
  resources?: string;
  attributes?: string;
  id?: string;
  tasks?: AgentTask[];
  /** What a launched task does: become RUNNING (default) or fail at once. */
  onLaunch?: (taskId: string) => TaskState;
  /** Answer pings (default true); turn off to simulate a partition. */
  answerPings?: boolean;
}

export class AgentDriver {
  agentId = "";
  streamId = "";
  readonly events: AgentEvent[] = [];
  readonly tasks = new Map<string, AgentTask>();
  answerPings: boolean;
  private controller = new AbortController();

  constructor(readonly options: AgentDriverOptions) {
    this.answerPings = options.answerPings ?? true;
    for (const t of options.tasks ?? []) this.tasks.set(t.info.task_id.value, t);
  }

  async subscribe(): Promise<void> {
    this.controller = new AbortController();
    const hostname = this.options.hostname ?? "agent1";
    const body = {
      type: "SUBSCRIBE",
      subscribe: {
        agent_info: {
          hostname,
          port: 5051,
          resources: parseResources(this.options.resources ?? "cpus:4;mem:4096;disk:10000;ports:[31000-31100]"),
          attributes: [],
          id: this.agentId || this.options.id ? { value: this.agentId || this.options.id } : undefined,
        },
        ip: "127.0.0.1",
        version: "test",
        tasks: [...this.tasks.values()],
        frameworks: [...new Set([...this.tasks.values()].map((t) => t.framework_id.value))].map((id) => ({ user: "root", name: "fw", id: { value: id }, capabilities: [] })),
        containerizers: ["sim"],
      },
    };
    const res = await fetch(`${this.options.masterUrl}${AGENT_API_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: this.controller.signal,
    });
    if (res.status !== 200 || !res.body) throw new Error(`agent subscribe failed: ${res.status} ${await res.text()}`);
    this.streamId = res.headers.get("mesos-stream-id") ?? "";
    const reader = res.body.getReader();
    const decoder = new RecordIODecoder();
    const first = new Promise<void>((resolve, reject) => {
      const pump = async () => {
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return;
            for (const record of decoder.decode(value)) {
              const event = AgentEvent.parse(JSON.parse(record));
              this.events.push(event);
              if (event.type === "SUBSCRIBED") {
                this.agentId = event.subscribed!.agent_id.value;
                resolve();
              }
              void this.react(event);
            }
          }
        } catch (error) {
          reject(error);
        }
      };
      void pump();
    });
    await first;
  }

  private async react(event: AgentEvent): Promise<void> {
    if (event.type === "PING" && this.answerPings) await this.call({ type: "PONG" });
    if (event.type === "RUN_TASK") {
      const { framework, task } = event.run_task!;
      const fid = framework.id!.value;
      this.tasks.set(task.task_id.value, { framework_id: { value: fid }, info: task, state: "TASK_STAGING" });
      await this.update(fid, task.task_id.value, this.options.onLaunch?.(task.task_id.value) ?? "TASK_RUNNING");
    }
    if (event.type === "KILL_TASK") {
      const { framework_id, task_id } = event.kill_task!;
      await this.update(framework_id.value, task_id.value, "TASK_KILLED");
    }
  }

  /** Sends a status update with a fresh uuid, as a real agent does. */
  async update(frameworkId: string, taskId: string, state: TaskState, extra: Partial<TaskStatus> = {}): Promise<string> {
    const uuid = randomBytes(16).toString("base64");
    const status: TaskStatus = { task_id: { value: taskId }, state, source: "SOURCE_EXECUTOR", uuid, timestamp: Date.now() / 1000, ...extra };
    const task = this.tasks.get(taskId);
    if (task) {
      task.state = state;
      task.latest_status = status;
    }
    await this.call({ type: "UPDATE", update: { framework_id: { value: frameworkId }, status, latest_state: state } });
    return uuid;
  }

  async call(body: Record<string, unknown>): Promise<Response> {
    const res = await fetch(`${this.options.masterUrl}${AGENT_API_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json", "mesos-stream-id": this.streamId },
      body: JSON.stringify({ agent_id: { value: this.agentId }, ...body }),
    }).catch(() => undefined);
    return res ?? new Response(null, { status: 599 });
  }

  /** Drops the connection (like a crashed agent or a cut network). */
  disconnect(): void {
    this.controller.abort();
  }
}
