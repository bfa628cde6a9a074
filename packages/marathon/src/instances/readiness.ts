/**
 * Readiness checks (`readinessChecks[0]`): while a deployment runs, new running instances are polled
 * over HTTP every `intervalSeconds`; a deployment step counts an instance only once it is ready.
 * Results are kept per task for `/v2/deployments` (`readinessCheckResults`).
 */
import type { AppDefinition, ReadinessCheckResult } from "@caravel/api";
import { portNames } from "@caravel/api";
import type { Instance } from "./instance.js";

export class ReadinessPoller {
  readonly results = new Map<string, ReadinessCheckResult>();
  private readonly lastPolled = new Map<string, number>();
  private readonly inFlight = new Set<string>();

  constructor(private readonly onChange: () => void) {}

  /** Polls the instances that are due; call from every tick. */
  poll(app: AppDefinition, instances: readonly Instance[], now: number): void {
    const check = app.readinessChecks[0];
    if (!check) return;
    const index = portNames(app).indexOf(check.portName);
    for (const i of instances) {
      if (i.ready !== false || i.state !== "TASK_RUNNING" || i.goal !== "running") continue;
      if (this.inFlight.has(i.taskId) || now - (this.lastPolled.get(i.taskId) ?? 0) < check.intervalSeconds * 1000) continue;
      const port = i.ports[index];
      if (port === undefined) continue;
      this.lastPolled.set(i.taskId, now);
      this.inFlight.add(i.taskId);
      const url = `${check.protocol.toLowerCase()}://${i.hostname}:${port}${check.path}`;
      void fetch(url, { signal: AbortSignal.timeout(check.timeoutSeconds * 1000) })
        .then(async (res) => {
          const body = check.preserveLastResponse ? await res.text() : (await res.body?.cancel(), "");
          const ready = check.httpStatusCodesForReady.includes(res.status);
          this.results.set(i.taskId, {
            name: check.name,
            taskId: i.taskId,
            ready,
            ...(check.preserveLastResponse ? { lastResponse: { status: res.status, contentType: res.headers.get("content-type") ?? "", body } } : {}),
          });
          if (ready) {
            i.ready = true;
            this.onChange();
          }
        })
        .catch(() => this.results.set(i.taskId, { name: check.name, taskId: i.taskId, ready: false }))
        .finally(() => this.inFlight.delete(i.taskId));
    }
  }

  forget(taskId: string): void {
    this.results.delete(taskId);
    this.lastPolled.delete(taskId);
  }
}
