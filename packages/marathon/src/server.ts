/**
 * Wires caravel-marathon together: store → repository → core → scheduler driver, plus the REST API.
 * `createServer(deps)` has no side effects until `listen()`.
 */
import type { Store } from "@caravel/coordination";
import { listen, MetricsRegistry, Router, type Listening, type Logger } from "@caravel/runtime";
import type { MarathonConfig } from "./config.js";
import { Marathon } from "./core/marathon.js";
import { EventBus } from "./events/bus.js";
import { appRoutes } from "./http/apps.js";
import { sendMarathonError } from "./http/common.js";
import type { ApiContext } from "./http/context.js";
import { miscRoutes } from "./http/misc.js";
import { groupIdsOf, opsRoutes, watchWaitingDeployments } from "./http/ops.js";
import { podRoutes } from "./http/pods.js";
import { SchedulerDriver } from "./scheduler/driver.js";
import { Repository } from "./storage/repository.js";
import { ReservationBook } from "./resident/book.js";
import { leaderGate } from "./ha/gate.js";
import { soleLeadership, type MarathonLeadership } from "./ha/leadership.js";

export interface ServerDeps {
  config: MarathonConfig;
  store: Store;
  log: Logger;
  /** Start the scheduler driver (false: API only, e.g. when no master is wanted). */
  connect?: boolean;
  /** Leader election among several Marathons (default: this one always leads). */
  leadership?: MarathonLeadership;
  /** Called when this Marathon stops leading (main.ts exits: never two leaders). */
  onLeadershipLost?: (reason: string) => void;
  /** How long a deployment's instances wait before `deployment_waiting` says why (default 30 s). */
  waitingEventAfterMs?: number;
}

export interface MarathonServer {
  readonly core: Marathon;
  readonly events: EventBus;
  listen(): Promise<Listening>;
  close(): Promise<void>;
}

export const VERSION = "1.10.0-caravel";

export function createServer(deps: ServerDeps): MarathonServer {
  const { config, log } = deps;
  const events = new EventBus();
  const repo = new Repository(deps.store);
  const httpPort = config.port ?? config.http_port;
  const core = new Marathon({
    repo,
    events,
    log,
    defaultAcceptedRoles: config.default_accepted_resource_roles.split(",").map((r) => r.trim()).filter(Boolean),
    maxInstancesPerOffer: config.max_instances_per_offer,
    localPorts: { min: config.local_port_min, max: config.local_port_max },
    declineSeconds: config.decline_offer_duration / 1000,
    reservations: new ReservationBook(deps.store, config.mesos_role),
  });
  const metrics = new MetricsRegistry();
  metrics.gauge("apps", () => core.apps.size);
  metrics.gauge("instances", () => core.instances.size);
  metrics.gauge("instances/running", () => [...core.instances.values()].filter((i) => i.state === "TASK_RUNNING").length);
  metrics.gauge("deployments", () => core.deployments.size);
  metrics.gauge("launch_queue/size", () => [...core.queue.values()].reduce((a, b) => a + b, 0));
  metrics.gauge("tasks/launched", () => core.launched.count);
  metrics.gauge("events/subscribers", () => events.subscriberCount);
  let listening: Listening | undefined;
  const driver = new SchedulerDriver(core, events, log, {
    masters: config.master.split(",").map((m) => (m.includes("://") ? m : `http://${m}`)),
    frameworkName: config.framework_name,
    user: config.mesos_user,
    role: config.mesos_role,
    hostname: config.hostname,
    webuiUrl: `http://${config.hostname}:${httpPort}`,
    failoverTimeoutSeconds: config.failover_timeout,
    reconcileIntervalMs: config.reconciliation_interval,
    drainPollMs: 5000,
  });
  metrics.gauge("mesos/connected", () => (driver.connected ? 1 : 0));
  const leadership = deps.leadership ?? soleLeadership();
  let ready = false;
  const self = () => `${config.hostname}:${listening?.port ?? httpPort}`;
  const leader = () => leadership.leaderHostPort() ?? self();
  const ctx: ApiContext = {
    core,
    repo,
    events,
    metrics,
    groupIds: () => groupIdsOf([...core.apps.values(), ...core.pods.values()]),
    leader,
    info: () => ({
      name: "marathon",
      version: VERSION,
      buildref: "caravel",
      elected: leadership.isLeader(),
      leader: leader(),
      frameworkId: core.frameworkId ?? null,
      marathon_config: {
        master: config.master,
        framework_name: config.framework_name,
        failover_timeout: config.failover_timeout,
        hostname: config.hostname,
        mesos_role: config.mesos_role,
        mesos_user: config.mesos_user,
        max_instances_per_offer: config.max_instances_per_offer,
        decline_offer_duration: config.decline_offer_duration,
        reconciliation_interval: config.reconciliation_interval,
        local_port_min: config.local_port_min,
        local_port_max: config.local_port_max,
        default_accepted_resource_roles: config.default_accepted_resource_roles.split(","),
        mesos_leader_ui_url: driver.masterUrl ? `${driver.masterUrl}/` : null,
        webui_url: `http://${leader()}`,
        features: [],
        ha: leadership.ha,
      },
      zookeeper_config: { zk: config.zk ?? null },
      http_config: { http_port: httpPort, https_port: 8443 },
    }),
  };
  const router = new Router();
  miscRoutes(router, ctx);
  appRoutes(router, ctx);
  opsRoutes(router, ctx);
  podRoutes(router, ctx);
  const stopWaitingWatch = watchWaitingDeployments(ctx, deps.waitingEventAfterMs);
  const dispatch = router.listener(log);
  const lost = deps.onLeadershipLost ?? ((reason: string) => log.error({ reason }, "lost leadership"));
  const abdicate = () => void leadership.close().finally(() => lost("abdicated (DELETE /v2/leader)"));
  const gate = leaderGate({ leadership, ready: () => ready, self, log, abdicate });
  const listener = (req: Parameters<typeof dispatch>[0], res: Parameters<typeof dispatch>[1]) => {
    res.setHeader("x-marathon-leader", `http://${leader()}`);
    const url = new URL(req.url ?? "/", "http://localhost");
    if (gate(req, res, url.pathname)) return;
    const found = router.match(req.method ?? "GET", url.pathname);
    if (!found || "allowed" in found) return dispatch(req, res);
    try {
      const result = found.handler(req, res, found.params, url);
      if (result instanceof Promise) result.catch((error: unknown) => sendMarathonError(res, error, log));
    } catch (error) {
      sendMarathonError(res, error, log);
    }
  };
  return {
    core,
    events,
    async listen() {
      listening = await listen(listener, httpPort, config.ip);
      log.info({ url: listening.url }, "caravel-marathon listening");
      // Only the leader loads the state, subscribes to the master and runs deployments.
      const lead = async () => {
        await core.recover();
        if (deps.connect !== false) driver.start();
        ready = true;
      };
      await leadership.campaign(self(), lead, lost);
      return listening;
    },
    async close() {
      stopWaitingWatch();
      await leadership.close();
      await driver.stop();
      await listening?.close();
      await deps.store.close();
    },
  };
}
