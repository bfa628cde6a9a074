/** What the HTTP handlers need: the core, the repository, the event bus and static facts. */
import type { MetricsRegistry } from "@caravel/runtime";
import type { Marathon } from "../core/marathon.js";
import type { EventBus } from "../events/bus.js";
import type { Repository } from "../storage/repository.js";

export interface ApiContext {
  core: Marathon;
  repo: Repository;
  events: EventBus;
  metrics: MetricsRegistry;
  /** Ids of every (implicit) group: the ancestors of every app. */
  groupIds(): Set<string>;
  info(): Record<string, unknown>;
  /** "host:port" of the leader (this process: single-node leadership). */
  leader(): string;
}
