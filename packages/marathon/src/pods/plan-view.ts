/**
 * Deployment plans as the API and events show them when pods are involved: a pod's actions are named
 * `StartPod`/`StopPod`/`ScalePod`/`RestartPod` with a `pod` key, and pods are listed in
 * `affectedPods` rather than `affectedApps`. Plans themselves stay uniform (see run-spec.ts).
 */
import type { DeploymentPlan, PlanAction, PlanStep } from "../deploy/plan.js";
import { isPodSpec } from "./run-spec.js";

/** Whether a plan's run spec `id` is a pod (from the specs the plan carries). */
export const isPodIn = (plan: Pick<DeploymentPlan, "original" | "target">, id: string): boolean => isPodSpec(plan.original[id] ?? plan.target[id]);

/** One action as shown: `{action, app}` for apps, `{action: "…Pod", pod}` for pods. */
export function actionView(plan: Pick<DeploymentPlan, "original" | "target">, a: PlanAction): { action: string; app?: string; pod?: string } {
  return isPodIn(plan, a.app) ? { action: a.action.replace(/Application$/, "Pod"), pod: a.app } : a;
}

/** A step as shown. */
export const stepView = (plan: Pick<DeploymentPlan, "original" | "target">, step: PlanStep | undefined) => (step ? { actions: step.actions.map((a) => actionView(plan, a)) } : step);

/** The steps and affected ids as shown. */
export function planView(plan: DeploymentPlan): { affectedApps: string[]; affectedPods: string[]; steps: { actions: ReturnType<typeof actionView>[] }[] } {
  return {
    affectedApps: plan.affectedApps.filter((id) => !isPodIn(plan, id)),
    affectedPods: plan.affectedApps.filter((id) => isPodIn(plan, id)),
    steps: plan.steps.map((s) => ({ actions: s.actions.map((a) => actionView(plan, a)) })),
  };
}
