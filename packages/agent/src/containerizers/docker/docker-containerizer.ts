/**
 * The "docker" containerizer: one Docker container per task through dockerode. Create options come
 * from docker-spec.ts; output is copied into the sandbox (logs.ts); the exit is learned with the
 * engine's blocking wait and one inspect (exit code, State.OOMKilled). Containers carry labels naming
 * task, framework, agent and container, and the checkpointed handle holds the Docker id, so a new
 * agent process reattaches with `recover` (by id, else by the container-id label).
 */
import { setMaxListeners } from "node:events";
import Docker from "dockerode";
import type { CommandInfo, ContainerInfo } from "@caravel/api";
import { silentLogger, type Logger } from "@caravel/runtime";
import { fetchUris } from "../../fetcher/fetcher.js";
import type { CheckpointedContainer, ContainerExit, ContainerInfoReport, Containerizer, LaunchSpec, ResourceUsage } from "../types.js";
import { LaunchError } from "../types.js";
import { touchLogs } from "../process/sandbox.js";
import { dockerCreatePlan, dockerName, LABEL, type DockerSpecOptions } from "./docker-spec.js";
import { dockerExec } from "./exec.js";
import { exitFrom } from "./exit.js";
import { engineMessage, ensureImage } from "./image.js";
import { OomWatch } from "./oom.js";
import { copyLogs, resumePoint, type LogCopy } from "./logs.js";

export const DOCKER_MISSING = "Docker engine not running: apt-get install -y docker.io && setsid dockerd &";

export interface DockerContainerizerOptions extends Omit<DockerSpecOptions, "networkOfDockerId"> {
  docker?: Docker;
  cacheDir?: string;
  logger?: Logger;
}

interface Entry {
  spec: LaunchSpec;
  dockerId: string;
  exit: Promise<ContainerExit>;
  settle: (exit: ContainerExit) => void;
  ended?: ContainerExit;
  killed: boolean;
  report: ContainerInfoReport;
  /** The log copy, started without delaying launch (the engine keeps the output meanwhile). */
  logs?: Promise<LogCopy | undefined>;
}

export class DockerContainerizer implements Containerizer {
  readonly name = "docker" as const;
  readonly docker: Docker;
  private readonly entries = new Map<string, Entry>();
  private readonly log: Logger;
  private readonly abort = new AbortController();
  private readonly oom: OomWatch;
  /** Image reference → launches using it right now (image GC never removes these). */
  private readonly launchingImages = new Map<string, number>();
  /** Image reference → when a launch last used it (image GC's least-recently-used order). */
  readonly imagesLaunched = new Map<string, number>();

  constructor(private readonly options: DockerContainerizerOptions = {}) {
    this.docker = options.docker ?? new Docker({ socketPath: "/var/run/docker.sock" });
    this.log = options.logger ?? silentLogger();
    this.oom = new OomWatch(this.docker);
    // One engine wait per running container listens on this signal.
    setMaxListeners(0, this.abort.signal);
  }

  /** Whether the engine answers; agents enable this containerizer only then. */
  async available(): Promise<boolean> {
    return this.docker.ping().then(
      () => true,
      () => false,
    );
  }

  accepts(container: ContainerInfo | undefined): boolean {
    return container?.type === "DOCKER" && container.docker !== undefined;
  }

  /** Image references tasks are being launched from right now. */
  imagesLaunching(): string[] {
    return [...this.launchingImages.keys()];
  }

  async launch(spec: LaunchSpec): Promise<CheckpointedContainer> {
    const docker = spec.task.container?.docker;
    if (!docker) throw new LaunchError("REASON_CONTAINER_LAUNCH_FAILED", "container.docker is missing: a Docker task needs container.docker.image");
    const image = docker.image;
    this.launchingImages.set(image, (this.launchingImages.get(image) ?? 0) + 1);
    try {
      return await this.launchDocker(spec, docker);
    } finally {
      this.imagesLaunched.set(image, Date.now());
      const left = (this.launchingImages.get(image) ?? 1) - 1;
      if (left > 0) this.launchingImages.set(image, left);
      else this.launchingImages.delete(image);
    }
  }

  private async launchDocker(spec: LaunchSpec, docker: NonNullable<NonNullable<LaunchSpec["task"]["container"]>["docker"]>): Promise<CheckpointedContainer> {
    await fetchUris(spec.task.command?.uris ?? [], { sandbox: spec.sandbox, cacheDir: this.options.cacheDir, user: spec.task.command?.user });
    if (docker.force_pull_image === true) await ensureImage(this.docker, docker.image, true);
    touchLogs(spec.sandbox);
    await this.oom.start().catch(() => undefined);
    const networkOfDockerId = spec.networkOf ? this.entries.get(spec.networkOf)?.dockerId : undefined;
    const plan = dockerCreatePlan(spec, { hostIp: this.options.hostIp, cpuQuota: this.options.cpuQuota, networkOfDockerId });
    if (plan.ignoredParameters.length > 0) this.log.warn({ containerId: spec.containerId, ignored: plan.ignoredParameters }, "docker parameters without a HostConfig equivalent were ignored");
    const container = await this.create(plan.options, docker.image);
    try {
      await container.start();
    } catch (err) {
      await container.remove({ force: true }).catch(() => undefined);
      throw new LaunchError("REASON_CONTAINER_LAUNCH_FAILED", `Failed to start the container: ${engineMessage(err)}`);
    }
    const entry = this.track(spec, container.id);
    await this.watch(entry, undefined);
    this.log.info({ containerId: spec.containerId, dockerId: container.id }, "docker task started");
    return { containerId: spec.containerId, containerizer: "docker", handle: { dockerId: container.id, name: dockerName(spec.containerId) }, spec };
  }

  /**
   * Creates the container as `docker run` does: straight away, pulling the image only when the
   * engine says it has no such image (one round trip less per launch than checking first).
   */
  private async create(options: Docker.ContainerCreateOptions, image: string): Promise<Docker.Container> {
    try {
      return await this.docker.createContainer(options);
    } catch (err) {
      const code = (err as { statusCode?: number; code?: string }).statusCode ?? (err as { code?: string }).code;
      if (code === "ENOENT" || code === "ECONNREFUSED") throw new LaunchError("REASON_CONTAINER_LAUNCH_FAILED", DOCKER_MISSING);
      if (code !== 404) throw new LaunchError("REASON_CONTAINER_LAUNCH_FAILED", `Failed to create the container: ${engineMessage(err)}`);
    }
    await ensureImage(this.docker, image, false);
    try {
      return await this.docker.createContainer(options);
    } catch (err) {
      throw new LaunchError("REASON_CONTAINER_LAUNCH_FAILED", `Failed to create the container: ${engineMessage(err)}`);
    }
  }

  wait(containerId: string): Promise<ContainerExit> {
    return this.get(containerId).exit;
  }

  async kill(containerId: string, gracePeriodMs: number): Promise<void> {
    const entry = this.get(containerId);
    if (!entry.ended) {
      entry.killed = true;
      // The engine sends the image's stop signal (SIGTERM), waits t seconds, then SIGKILL.
      const t = Math.max(0, Math.ceil(gracePeriodMs / 1000));
      await this.docker
        .getContainer(entry.dockerId)
        .stop({ t })
        .catch((err: { statusCode?: number }) => {
          if (err.statusCode !== 304 && err.statusCode !== 404) throw err;
        });
      // A closed instance no longer waits on the engine, so it reads the exit itself.
      if (this.abort.signal.aborted) this.settleFromInspect(entry, await this.docker.getContainer(entry.dockerId).inspect().catch(() => undefined));
      await entry.exit;
    }
    await this.remove(entry.dockerId);
  }

  /**
   * Throws when the engine does not answer: reporting every container as gone because dockerd is
   * restarting would make the agent fail tasks that are in fact still running.
   */
  async recover(containers: CheckpointedContainer[]): Promise<string[]> {
    const running: string[] = [];
    if (containers.some((c) => c.containerizer === "docker") && !(await this.available())) {
      throw new Error(`cannot recover Docker containers: ${DOCKER_MISSING}`);
    }
    await this.oom.start().catch(() => undefined);
    for (const c of containers) {
      if (c.containerizer !== "docker") continue;
      const dockerId = (c.handle["dockerId"] as string | undefined) ?? (await this.findByLabel(LABEL.containerId, c.containerId))[0];
      const entry = this.entries.get(c.containerId) ?? this.track(c.spec, dockerId ?? "");
      const state = dockerId
        ? await this.docker
            .getContainer(dockerId)
            .inspect()
            .catch((err: { statusCode?: number }) => {
              if (err.statusCode === 404) return undefined;
              throw err;
            })
        : undefined;
      if (!state) {
        entry.ended = { exitCode: null, reason: "REASON_EXECUTOR_TERMINATED", message: "the Docker container is gone (removed while the agent was down)" };
        entry.settle(entry.ended);
        continue;
      }
      await this.watch(entry, resumePoint(c.spec.sandbox));
      if (state.State.Running) running.push(c.containerId);
    }
    return running;
  }

  exec(containerId: string, command: CommandInfo, timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    return dockerExec(this.docker.getContainer(this.get(containerId).dockerId), command, timeoutMs);
  }

  info(containerId: string): ContainerInfoReport {
    return { ...this.get(containerId).report };
  }

  async usage(containerId: string): Promise<ResourceUsage | undefined> {
    const entry = this.entries.get(containerId);
    if (!entry || entry.ended) return undefined;
    const stats = await this.docker.getContainer(entry.dockerId).stats({ stream: false }).catch(() => undefined);
    if (!stats) return undefined;
    const cpu = stats.cpu_stats?.cpu_usage;
    const mem = stats.memory_stats;
    const memStats = (mem?.stats ?? {}) as Record<string, number | undefined>;
    return {
      cpusUserTimeSecs: (cpu?.usage_in_usermode ?? 0) / 1e9,
      cpusSystemTimeSecs: (cpu?.usage_in_kernelmode ?? 0) / 1e9,
      memRssBytes: memStats["rss"] ?? memStats["total_rss"] ?? mem?.usage ?? 0,
      memLimitBytes: mem?.limit ?? 0,
      cpusLimit: entry.spec.limits.cpus,
      timestamp: Date.now() / 1000,
    };
  }

  async destroy(containerId: string): Promise<void> {
    const entry = this.entries.get(containerId);
    if (!entry) {
      await this.remove(dockerName(containerId));
      return;
    }
    if (!entry.ended) await this.kill(containerId, 0);
    void entry.logs?.then((logs) => logs?.stop());
    await this.remove(entry.dockerId);
    this.entries.delete(containerId);
  }

  async close(): Promise<void> {
    this.abort.abort();
    this.oom.stop();
    for (const entry of this.entries.values()) void entry.logs?.then((logs) => logs?.stop());
  }

  /**
   * Removes this agent's containers that no checkpoint knows (Mesos' `--docker_kill_orphans`):
   * e.g. launched just before a crash that lost the checkpoint. Returns their container ids.
   */
  async removeOrphans(agentId: string, keep: Iterable<string>): Promise<string[]> {
    const known = new Set(keep);
    const list = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL.agentId}=${agentId}`] } });
    const orphans = list.filter((c) => !known.has(c.Labels[LABEL.containerId] ?? ""));
    await Promise.all(orphans.map((c) => this.remove(c.Id)));
    if (orphans.length > 0) this.log.info({ orphans: orphans.map((c) => c.Labels[LABEL.containerId]) }, "removed orphan docker containers");
    return orphans.map((c) => c.Labels[LABEL.containerId] ?? c.Id);
  }

  /** Docker ids of containers (running or not) carrying label `key=value`. */
  async findByLabel(key: string, value: string): Promise<string[]> {
    const list = await this.docker.listContainers({ all: true, filters: { label: [`${key}=${value}`] } });
    return list.map((c) => c.Id);
  }

  private track(spec: LaunchSpec, dockerId: string): Entry {
    let settle!: (exit: ContainerExit) => void;
    const exit = new Promise<ContainerExit>((resolve) => (settle = resolve));
    const entry: Entry = { spec, dockerId, exit, settle, killed: false, report: {} };
    this.entries.set(spec.containerId, entry);
    return entry;
  }

  /** Starts copying logs and waiting for the exit; learns the container's IP and pid. */
  private async watch(entry: Entry, since: string | undefined): Promise<void> {
    const container = this.docker.getContainer(entry.dockerId);
    entry.logs = copyLogs(this.docker, container, entry.spec.sandbox, since).catch((err: unknown) => {
      this.log.warn({ containerId: entry.spec.containerId, err: engineMessage(err) }, "could not follow the container's logs");
      return undefined;
    });
    const state = await container.inspect().catch(() => undefined);
    if (state) {
      const networks = Object.values(state.NetworkSettings?.Networks ?? {});
      const ip = (state.NetworkSettings as { IPAddress?: string } | undefined)?.IPAddress || networks.find((n) => n.IPAddress)?.IPAddress;
      entry.report = { ...(ip ? { ipAddress: ip } : {}), ...(state.State.Pid ? { pid: state.State.Pid } : {}) };
    }
    void this.awaitExit(entry, container);
  }

  private async awaitExit(entry: Entry, container: Docker.Container): Promise<void> {
    for (;;) {
      if (this.abort.signal.aborted) return;
      try {
        await container.wait({ abortSignal: this.abort.signal });
        break;
      } catch (err) {
        if (this.abort.signal.aborted) return;
        const gone = (err as { statusCode?: number }).statusCode === 404;
        if (gone) break;
        // The engine restarted or the connection dropped: ask again shortly.
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
    const state = await container.inspect().catch(() => undefined);
    if (state && !state.State.OOMKilled && state.State.ExitCode === 137 && (await this.oomEvidence(entry, state))) state.State.OOMKilled = true;
    // Give the log copy a moment to flush what the container printed last.
    const logs = await entry.logs;
    await Promise.race([logs?.done, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    this.settleFromInspect(entry, state);
  }

  /** A SIGKILLed container without the OOM flag: ask the event stream, then the event history. */
  private async oomEvidence(entry: Entry, state: Docker.ContainerInspectInfo): Promise<boolean> {
    if (entry.killed) return false;
    if (await this.oom.wasOomKilled(entry.dockerId, 1000)) return true;
    const started = Date.parse(state.State.StartedAt) / 1000;
    return this.oom.inHistory(entry.dockerId, Number.isFinite(started) ? started : 0).catch(() => false);
  }

  private settleFromInspect(entry: Entry, state: Docker.ContainerInspectInfo | undefined): void {
    if (entry.ended) return;
    entry.ended = exitFrom(state, entry.killed, entry.spec.limits.memMb);
    entry.settle(entry.ended);
  }

  private async remove(idOrName: string): Promise<void> {
    if (idOrName === "") return;
    await this.docker
      .getContainer(idOrName)
      .remove({ force: true, v: true })
      .catch((err: { statusCode?: number; message?: string }) => {
        // 404: already gone; 409: removal already in progress.
        if (err.statusCode !== 404 && err.statusCode !== 409) this.log.warn({ idOrName, err: err.message }, "could not remove container");
      });
  }

  private get(containerId: string): Entry {
    const entry = this.entries.get(containerId);
    if (!entry) throw new Error(`unknown container ${containerId}`);
    return entry;
  }
}
