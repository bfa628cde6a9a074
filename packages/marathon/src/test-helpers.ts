/** Builders for the marathon package's tests (not exported from the package). */
import { parseAppDefinition, parseResources, type AppDefinition, type Offer } from "@caravel/api";
import type { Instance } from "./instances/instance.js";
import { viewOfOffer, type OfferView } from "./placement/offer.js";

export function makeApp(fields: Record<string, unknown> = {}): AppDefinition {
  const r = parseAppDefinition({ id: "/web", cmd: "sleep 1000", cpus: 1, mem: 128, version: "v1", versionInfo: { lastScalingAt: "v1", lastConfigChangeAt: "v1" }, ...fields });
  if (!r.ok) throw new Error(JSON.stringify(r.details));
  return r.app;
}

let offerCounter = 0;
export function makeOffer(agent: string, resources = "cpus:4;mem:4096;disk:10000;ports:[31000-31009]", extra: Partial<Offer> & { role?: string } = {}): OfferView {
  const { role, ...rest } = extra;
  return viewOfOffer({
    id: { value: `offer-${++offerCounter}` },
    framework_id: { value: "fw" },
    agent_id: { value: agent },
    hostname: `${agent}.local`,
    resources: parseResources(resources, role ?? "*"),
    attributes: [],
    executor_ids: [],
    ...rest,
  });
}

let instanceCounter = 0;
export function makeInstance(fields: Partial<Instance> = {}): Instance {
  const n = ++instanceCounter;
  return {
    instanceId: `web.instance-${n}`,
    taskId: `web.instance-${n}._app.1`,
    appId: "/web",
    version: "v1",
    configVersion: "v1",
    agentId: "a1",
    hostname: "a1.local",
    state: "TASK_RUNNING",
    ports: [],
    servicePorts: [],
    ipAddresses: [],
    attributes: { hostname: "a1.local" },
    stagedAt: n,
    goal: "running",
    role: "*",
    ...fields,
  };
}
