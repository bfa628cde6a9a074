/**
 * Pod instances in the core: creating one from a placement (its task group launch), the task ids it
 * owns, and turning a round's launches into one ACCEPT per offer (an offer can be accepted only once,
 * so app tasks and pod groups placed on the same offer travel together).
 */
import { instanceIdOf, type Operation, type Resource, type TaskInfo } from "@caravel/api";
import { stagedInstance, type Instance } from "../instances/instance.js";
import type { OfferView } from "../placement/offer.js";
import { buildPodLaunch, type PodLaunch } from "./launch.js";
import type { PodRunSpec } from "./run-spec.js";

export interface PodPlacement {
  app: PodRunSpec;
  offer: OfferView;
  resources: Resource[];
  hostPorts: number[];
}

/** A new pod instance (not yet indexed or persisted) and the launch that starts it. */
export function createPodInstance(p: PodPlacement, uuid: string, now: number, frameworkId: string | undefined): { instance: Instance; launch: PodLaunch } {
  const instanceId = instanceIdOf(p.app.id, uuid);
  const launch = buildPodLaunch({ spec: p.app, instanceId, agentId: p.offer.agentId, hostname: p.offer.hostname, resources: p.resources, hostPorts: p.hostPorts, frameworkId });
  const instance: Instance = { ...stagedInstance(p, instanceId, launch.primaryTaskId, [], now), tasks: launch.tasks };
  return { instance, launch };
}

/** Every Mesos task id of an instance: its one task, or each container's for a pod. */
export const taskIdsOf = (i: Pick<Instance, "taskId" | "tasks">): string[] => (i.tasks ? Object.values(i.tasks).map((t) => t.taskId) : [i.taskId]);

/** The LAUNCH_GROUP operation of a pod launch. */
export const launchGroupOperation = (l: PodLaunch): Operation => ({ type: "LAUNCH_GROUP", launch_group: { executor: l.executor, task_group: l.taskGroup } });

/**
 * Sends a round's launches: offers with only app tasks through `launch`, any offer carrying pod
 * groups through one `accept` with its LAUNCH (if any) and LAUNCH_GROUP operations.
 */
export function sendLaunches(
  port: { launch(offerIds: string[], tasks: TaskInfo[]): void; accept(offerIds: string[], operations: Operation[]): void },
  tasksByOffer: ReadonlyMap<string, TaskInfo[]>,
  groupsByOffer: ReadonlyMap<string, PodLaunch[]>,
): void {
  for (const [offerId, tasks] of tasksByOffer) {
    const groups = groupsByOffer.get(offerId);
    if (!groups) port.launch([offerId], tasks);
    else port.accept([offerId], [{ type: "LAUNCH", launch: { task_infos: tasks } }, ...groups.map(launchGroupOperation)]);
  }
  for (const [offerId, groups] of groupsByOffer) if (!tasksByOffer.has(offerId)) port.accept([offerId], groups.map(launchGroupOperation));
}
