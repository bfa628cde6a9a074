/**
 * Finding upstreams: the leading master (asked through /master/redirect, re-asked after a 307 or a
 * connection failure), agents (from the master's agent list, refreshed on a miss), and /service/
 * targets (Marathon labels, then frameworks, then Mesos-DNS), kept fresh by Marathon's event stream
 * rather than a 30-second cache.
 */
import { request } from "undici";
import { CaravelError } from "@caravel/api";
import type { Logger } from "@caravel/runtime";
import { agentOrigin, serviceFromApps, serviceFromFrameworks, serviceFromSrv, type ServiceTarget } from "./services.js";

export interface UpstreamConfig {
  masters: string[];
  marathon?: string;
  dns?: string;
  universe?: string;
  console?: string;
  /** Headers for the router's own calls (a service account token in multi-machine clusters). */
  headers?: Record<string, string>;
  /** Finds the leader another way (a ZooKeeper master detector), instead of asking `masters`. */
  detectLeader?: () => Promise<string>;
}

const origin = (url: string) => new URL(url).origin;

async function getJson(url: string, headers: Record<string, string> = {}, timeoutMs = 5_000): Promise<unknown> {
  const res = await request(url, { headers: { accept: "application/json", ...headers }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`${url} answered ${res.statusCode}`);
  }
  return res.body.json();
}

export class Upstreams {
  private leaderOrigin: Promise<string> | undefined;
  private agents = new Map<string, string>();
  private agentsFetchedAt = 0;
  private apps: { at: number; value: unknown } | undefined;
  private watching = false;
  private stopWatch: (() => void) | undefined;

  constructor(
    readonly config: UpstreamConfig,
    private readonly log: Logger,
  ) {}

  /** The origin of the leading master. */
  leader(): Promise<string> {
    // A detector follows the election itself, so its answer is always fresh.
    if (this.config.detectLeader) return this.config.detectLeader();
    if (this.config.masters.length === 0) return Promise.reject(new CaravelError("NO_LEADER", "no master configured; start the router with --master http://host:5050"));
    this.leaderOrigin ??= this.findLeader().catch((error: unknown) => {
      this.leaderOrigin = undefined;
      throw error;
    });
    return this.leaderOrigin;
  }

  /** Forget the leader (after a 307 or a connection error), so the next call asks again. */
  invalidateLeader(): void {
    this.leaderOrigin = undefined;
  }

  private async findLeader(): Promise<string> {
    for (const master of this.config.masters) {
      try {
        const res = await request(`${origin(master)}/master/redirect`, { headers: this.config.headers ?? {}, headersTimeout: 3_000, bodyTimeout: 3_000 });
        await res.body.dump();
        const location = res.headers["location"];
        if (res.statusCode >= 300 && res.statusCode < 400 && typeof location === "string") return new URL(location, master).origin;
        return origin(master);
      } catch (error) {
        this.log.debug({ err: error, master }, "master did not answer");
      }
    }
    throw new CaravelError("NO_LEADER", `no leading master answers (tried ${this.config.masters.join(", ")}); is caravel-master running?`);
  }

  /** The base URL of an agent by id; AGENT_NOT_FOUND when the master does not know it. */
  async agent(id: string): Promise<string> {
    const known = this.agents.get(id);
    if (known) return known;
    if (Date.now() - this.agentsFetchedAt > 1_000) {
      this.agentsFetchedAt = Date.now();
      const leader = await this.leader();
      const body = (await getJson(`${leader}/master/slaves`, this.config.headers).catch((error: unknown) => {
        this.invalidateLeader();
        throw new CaravelError("UPSTREAM_UNAVAILABLE", `cannot list agents from the master (${leader}): ${(error as Error).message}`, { details: { upstream: "master", url: leader } });
      })) as { slaves?: unknown[] };
      this.agents = new Map();
      for (const a of body.slaves ?? []) {
        const url = agentOrigin(a);
        if (url && typeof (a as { id?: unknown }).id === "string") this.agents.set((a as { id: string }).id, url);
      }
    }
    const url = this.agents.get(id);
    if (!url) throw new CaravelError("AGENT_NOT_FOUND", `no agent with id ${id}; list agents at /mesos/master/slaves`);
    return url;
  }

  /** Resolves /service/<name…>: the shortest path prefix that names a service wins. */
  async service(candidates: readonly string[]): Promise<{ target: ServiceTarget; count: number; name: string }> {
    const apps = await this.appsSnapshot();
    let summary: unknown;
    for (let count = 1; count <= candidates.length; count++) {
      const name = candidates.slice(0, count).join("/");
      const fromApps = serviceFromApps(apps, name);
      if (fromApps) return { target: fromApps, count, name };
      summary ??= await this.leader()
        .then((l) => getJson(`${l}/master/state-summary`, this.config.headers))
        .catch(() => ({}));
      const fromFramework = serviceFromFrameworks(summary, name);
      if (fromFramework === null) throw new CaravelError("NOT_FOUND", `service ${name} is a framework without a web UI (webui_url is null)`);
      if (fromFramework) return { target: fromFramework, count, name };
      if (this.config.dns && !name.includes("/")) {
        const records = await getJson(`${origin(this.config.dns)}/v1/services/_${name}._tcp.marathon.mesos`, {}, 2_000).catch(() => []);
        const fromDns = serviceFromSrv(records);
        if (fromDns) return { target: fromDns, count, name };
      }
    }
    if (apps === undefined && this.config.marathon) throw new CaravelError("UPSTREAM_UNAVAILABLE", `cannot resolve /service/${candidates[0]}: Marathon (${this.config.marathon}) does not answer`, { details: { upstream: "marathon" } });
    throw new CaravelError("NOT_FOUND", `no service named ${candidates[0]}: no Marathon app labelled DCOS_SERVICE_NAME=${candidates[0]}, no framework, no DNS SRV record`);
  }

  private async appsSnapshot(): Promise<unknown> {
    if (!this.config.marathon) return undefined;
    // With the event stream attached the snapshot is dropped on every change; the age limit is a safety net.
    const maxAge = this.watching ? 25_000 : 1_000;
    if (this.apps && Date.now() - this.apps.at < maxAge) return this.apps.value;
    try {
      const value = await getJson(`${origin(this.config.marathon)}/v2/apps?embed=apps.tasks&label=DCOS_SERVICE_NAME`, this.config.headers);
      this.apps = { at: Date.now(), value };
      return value;
    } catch (error) {
      this.log.warn({ err: error }, "cannot read Marathon apps for /service/ routing");
      return undefined;
    }
  }

  /** Follows Marathon's event stream and drops the /service/ snapshot on every event. */
  watchMarathon(): void {
    if (!this.config.marathon || this.stopWatch) return;
    let stopped = false;
    const controller = new AbortController();
    this.stopWatch = () => {
      stopped = true;
      controller.abort();
    };
    const loop = async () => {
      while (!stopped) {
        try {
          const res = await request(`${origin(this.config.marathon!)}/v2/events`, { headers: { accept: "text/event-stream", ...this.config.headers }, signal: controller.signal, bodyTimeout: 0 });
          if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
          this.watching = true;
          for await (const chunk of res.body) if (String(chunk).includes("data:")) this.apps = undefined;
        } catch {
          // Marathon restarting or not there yet: poll instead, and try again shortly.
        }
        this.watching = false;
        this.apps = undefined;
        if (!stopped) await new Promise((r) => setTimeout(r, 1_000).unref());
      }
    };
    void loop();
  }

  close(): void {
    this.stopWatch?.();
  }
}
