/**
 * The per-app controller, level-triggered: from an app's target definition, the deployment action
 * (if any) working on it, and its instances, how many instances to launch now and which to kill.
 * Rolling restarts follow Marathon's TaskReplaceActor arithmetic; drains replace first, then kill.
 */
import type { AppDefinition } from "@caravel/api";
import { countsAsHealthy, isActive, isWanted, type Instance } from "../instances/instance.js";
import { selectVictims } from "../instances/kill-selection.js";
import type { ActionKind } from "./plan.js";

export interface ControlInput {
  /** The app's target definition; undefined when it is being removed. */
  app: AppDefinition | undefined;
  action?: ActionKind;
  instances: readonly Instance[];
  now: number;
  /** Agents being drained: their instances are replaced elsewhere first. */
  drainingAgents?: ReadonlySet<string>;
}

export interface ControlOutput {
  launch: number;
  kill: Instance[];
  /** The action (if any) is complete. */
  done: boolean;
}

/** Instances that count toward the app's size: wanted, and not unreachable past inactiveAfterSeconds. */
export function countable(app: AppDefinition | undefined, instances: readonly Instance[], now: number): Instance[] {
  const inactiveMs = app && typeof app.unreachableStrategy === "object" ? app.unreachableStrategy.inactiveAfterSeconds * 1000 : Infinity;
  return instances.filter((i) => isWanted(i) && !(i.state === "TASK_UNREACHABLE" && i.unreachableSince !== undefined && now - i.unreachableSince >= inactiveMs));
}

/** Minimum healthy and maximum total instances during a rolling replacement. */
export function restartBounds(app: AppDefinition, healthy: number): { minHealthy: number; maxCapacity: number } {
  const n = app.instances;
  const minHealthy = Math.ceil(n * app.upgradeStrategy.minimumHealthCapacity - 1e-9);
  let maxCapacity = Math.floor(n * (1 + app.upgradeStrategy.maximumOverCapacity) + 1e-9);
  if (minHealthy === maxCapacity && maxCapacity <= healthy) maxCapacity += 1;
  return { minHealthy, maxCapacity };
}

export function controlApp(input: ControlInput): ControlOutput {
  const { app, instances, now } = input;
  const active = instances.filter(isActive);
  if (!app || input.action === "StopApplication") {
    const kill = active.filter((i) => i.goal === "running");
    return { launch: 0, kill, done: active.length === 0 };
  }
  const hc = app.healthChecks.length > 0;
  const counted = countable(app, instances, now);
  if (input.action === "StartApplication") return { launch: 0, kill: [], done: true };

  const configVersion = app.versionInfo?.lastConfigChangeAt ?? app.version ?? "";
  const outdated = counted.filter((i) => i.configVersion !== configVersion);
  if (input.action === "RestartApplication" || outdated.length > 0) {
    return rollingReplace(app, counted, active, outdated, hc);
  }

  const draining = input.drainingAgents ?? new Set<string>();
  const drained = counted.filter((i) => draining.has(i.agentId));
  if (drained.length > 0) return replaceDrained(app, counted, drained, hc);

  const n = app.instances;
  const launch = Math.max(0, n - counted.length);
  const kill = counted.length > n ? selectVictims(counted, counted.length - n, app.killSelection) : [];
  const healthy = counted.filter((i) => countsAsHealthy(i, hc)).length;
  const stillDying = active.length > counted.length;
  return { launch, kill, done: counted.length === n && healthy >= n && !stillDying };
}

function rollingReplace(app: AppDefinition, counted: Instance[], active: Instance[], outdated: Instance[], hc: boolean): ControlOutput {
  const n = app.instances;
  const fresh = counted.filter((i) => !outdated.includes(i));
  const healthy = counted.filter((i) => countsAsHealthy(i, hc));
  const { minHealthy, maxCapacity } = restartBounds(app, healthy.length);
  // Outdated instances that are not healthy cost no capacity: they go first and freely.
  const oldUnhealthy = outdated.filter((i) => !countsAsHealthy(i, hc));
  const oldHealthy = outdated.filter((i) => countsAsHealthy(i, hc));
  let budget = Math.max(0, healthy.length - minHealthy);
  // Shed the surplus when the restart also scales down (old instances beyond the new size).
  const surplus = Math.max(0, outdated.length - n);
  const kill: Instance[] = [...oldUnhealthy];
  for (const victim of selectVictims(oldHealthy, oldHealthy.length, app.killSelection)) {
    if (budget <= 0 && kill.length >= surplus) break;
    kill.push(victim);
    budget--;
  }
  const remaining = active.length - kill.length;
  const launch = Math.max(0, Math.min(n - fresh.length, maxCapacity - remaining));
  const freshHealthy = fresh.filter((i) => countsAsHealthy(i, hc)).length;
  const done = outdated.length === 0 && fresh.length === n && freshHealthy >= n && active.length === counted.length;
  return { launch, kill, done };
}

function replaceDrained(app: AppDefinition, counted: Instance[], drained: Instance[], hc: boolean): ControlOutput {
  const n = app.instances;
  const staying = counted.filter((i) => !drained.includes(i));
  const healthy = counted.filter((i) => countsAsHealthy(i, hc)).length;
  const { minHealthy } = restartBounds(app, healthy);
  // Replacements first: bring the instances on healthy agents up to n.
  const launch = Math.max(0, n - staying.length);
  let budget = Math.max(0, healthy - minHealthy);
  const kill: Instance[] = [];
  for (const victim of selectVictims(drained, drained.length, app.killSelection)) {
    const free = !countsAsHealthy(victim, hc);
    if (!free && budget <= 0) break;
    kill.push(victim);
    if (!free) budget--;
  }
  // Never done while instances still sit on draining agents.
  return { launch, kill, done: false };
}
