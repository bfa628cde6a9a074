/**
 * Deployment plans (Marathon's DeploymentPlan.apply): from the apps before and after a change, the
 * steps to carry it out. Stops first, then starts (at 0 instances), then scale or restart steps
 * ordered by dependencies so that a dependency lands in an earlier step than its dependants.
 */
import { isUnder, type AppDefinition } from "@caravel/api";
import { canonicalJson } from "./canonical.js";

export type ActionKind = "StartApplication" | "StopApplication" | "ScaleApplication" | "RestartApplication";

export interface PlanAction {
  action: ActionKind;
  app: string;
}

export interface PlanStep {
  actions: PlanAction[];
}

export interface DeploymentPlan {
  id: string;
  version: string;
  /** Apps as they were before the deployment (for rollback), by id. */
  original: Record<string, AppDefinition>;
  /** Apps as they will be, by id (absent = removed). */
  target: Record<string, AppDefinition>;
  affectedApps: string[];
  steps: PlanStep[];
  /** 0-based index of the step being carried out. */
  currentStep: number;
}

const IGNORED_FOR_RESTART = new Set(["instances", "version", "versionInfo"]);

/** True when going from `a` to `b` needs new tasks (anything but instances changed). */
export function needsRestart(a: AppDefinition, b: AppDefinition): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    if (IGNORED_FOR_RESTART.has(key)) continue;
    if (canonicalJson((a as Record<string, unknown>)[key]) !== canonicalJson((b as Record<string, unknown>)[key])) return true;
  }
  return false;
}

/** Builds the plan taking `original` to `target`. Unchanged apps are not affected. */
export function buildPlan(
  original: ReadonlyMap<string, AppDefinition>,
  target: ReadonlyMap<string, AppDefinition>,
  meta: { id: string; version: string; restart?: ReadonlySet<string> },
): DeploymentPlan {
  const stops = [...original.keys()].filter((id) => !target.has(id)).sort();
  const starts = [...target.keys()].filter((id) => !original.has(id)).sort();
  const changed = [...target.keys()]
    .filter((id) => {
      const before = original.get(id);
      const after = target.get(id)!;
      return !before || meta.restart?.has(id) || canonicalJson(stripVersion(before)) !== canonicalJson(stripVersion(after));
    })
    .sort();
  const steps: PlanStep[] = [];
  if (stops.length) steps.push({ actions: stops.map((app) => ({ action: "StopApplication", app })) });
  if (starts.length) steps.push({ actions: starts.map((app) => ({ action: "StartApplication", app })) });
  const depth = dependencyDepths(target);
  const byDepth = new Map<number, PlanAction[]>();
  for (const id of changed) {
    const before = original.get(id);
    const after = target.get(id)!;
    const action: ActionKind = !before || !needsRestart(before, after) ? (meta.restart?.has(id) && before ? "RestartApplication" : "ScaleApplication") : "RestartApplication";
    const d = depth.get(id) ?? 0;
    byDepth.set(d, [...(byDepth.get(d) ?? []), { action, app: id }]);
  }
  for (const d of [...byDepth.keys()].sort((a, b) => a - b)) steps.push({ actions: byDepth.get(d)! });
  return {
    id: meta.id,
    version: meta.version,
    original: Object.fromEntries(original),
    target: Object.fromEntries(target),
    affectedApps: [...new Set([...stops, ...changed])].sort(),
    steps,
    currentStep: 0,
  };
}

const stripVersion = (app: AppDefinition) => ({ ...app, version: undefined, versionInfo: undefined });

/**
 * Longest dependency path of each app (0 = depends on nothing). A dependency on a group means every
 * app under it. Cycles are cut (validation rejects them separately).
 */
export function dependencyDepths(apps: ReadonlyMap<string, AppDefinition>): Map<string, number> {
  const ids = [...apps.keys()];
  const depsOf = (id: string): string[] =>
    (apps.get(id)?.dependencies ?? []).flatMap((d) => (apps.has(d) ? [d] : ids.filter((other) => other !== id && isUnder(other, d))));
  const memo = new Map<string, number>();
  const visit = (id: string, stack: Set<string>): number => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    if (stack.has(id)) return 0;
    stack.add(id);
    let depth = 0;
    for (const dep of depsOf(id)) depth = Math.max(depth, visit(dep, stack) + 1);
    stack.delete(id);
    memo.set(id, depth);
    return depth;
  };
  for (const id of ids) visit(id, new Set());
  return memo;
}

/** Finds a dependency cycle among apps, as a list of ids, or undefined. */
export function dependencyCycle(apps: ReadonlyMap<string, AppDefinition>): string[] | undefined {
  const state = new Map<string, "visiting" | "done">();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === "done") return undefined;
    if (state.get(id) === "visiting") return [...path.slice(path.indexOf(id)), id];
    state.set(id, "visiting");
    path.push(id);
    for (const dep of apps.get(id)?.dependencies ?? []) {
      if (!apps.has(dep)) continue;
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(id, "done");
    return undefined;
  };
  for (const id of apps.keys()) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return undefined;
}
