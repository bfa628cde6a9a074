/** Maps a policy's filter kind to the response filters of @caravel/auth, bound to one identity. */
import { filterMarathonApps, filterMarathonDeployments, filterMarathonGroup, filterMarathonQueue, filterMarathonTasks, filterMesosState, mayReadEvent, type Identity } from "@caravel/auth";
import type { FilterKind } from "../routing/policy.js";
import type { ForwardRequest } from "./forward.js";

export function responseFilters(kind: FilterKind | undefined, identity: Identity): Pick<ForwardRequest, "filterJson" | "filterEvent"> {
  switch (kind) {
    case undefined:
      return {};
    case "marathon-apps":
      return { filterJson: (j) => filterMarathonApps(identity, j) };
    case "marathon-groups":
      return { filterJson: (j) => filterMarathonGroup(identity, j) };
    case "marathon-tasks":
      return { filterJson: (j) => filterMarathonTasks(identity, j) };
    case "marathon-deployments":
      return { filterJson: (j) => filterMarathonDeployments(identity, j) };
    case "marathon-queue":
      return { filterJson: (j) => filterMarathonQueue(identity, j) };
    case "marathon-events":
      return { filterEvent: (data) => mayReadEvent(identity, data) };
    case "mesos-state":
      return { filterJson: (j) => filterMesosState(identity, j) };
  }
}
