import { context, type Attributes, type Context } from "@opentelemetry/api";
import { ATTR_TELLTALE_INTERRUPTED, ATTR_TELLTALE_STEP_NAME } from "./attributes.js";
import { rules, defineSchema } from "./options.js";
import { readCall, readName, runIn, runUntraced, type WorkFn } from "./run.js";
import { safely } from "./safe.js";
import type { WorkflowScope } from "./state.js";
import { endWork, startWork, type StartedWork } from "./work.js";

/** Options of {@link step}. */
export interface StepOptions {
  attributes?: Attributes;
}

/** What a step's options accept (options.ts), for the function and the start/end form alike. */
export const STEP_SCHEMA = defineSchema<StepOptions>({ attributes: rules.attributes });

function recordUndeclared(scope: WorkflowScope | undefined, name: string): void {
  if (scope === undefined || scope.ended) return;
  if (!scope.expectedSteps.has(name)) scope.undeclaredSteps.add(name);
}

/** A declared step (or a tool named like one) that returned counts as completed in its workflow's manifest (F6). */
export function recordCompleted(scope: WorkflowScope | undefined, name: string | undefined): void {
  if (scope === undefined || scope.ended || name === undefined) return;
  if (scope.expectedSteps.has(name)) scope.completedSteps.add(name);
}

/** Starts a step span (`step {name}`) under `parent` (options already checked). */
export function startStep(name: string | undefined, options: Partial<StepOptions>, parent: Context): StartedWork {
  const attributes: Attributes = { ...options.attributes };
  if (name !== undefined) attributes[ATTR_TELLTALE_STEP_NAME] = name;
  const work = startWork(name === undefined ? "step" : `step ${name}`, attributes, parent);
  if (name !== undefined) recordUndeclared(work.scope, name);
  return work;
}

/** How a step ended: with an error, paused for input (`interrupted`: neither failed nor completed), or completed. */
export type StepEnd = { readonly failed: true; readonly error: unknown } | { readonly failed: false; readonly interrupted: boolean };

/** Ends a step span; a step that completed counts in its workflow's manifest, one that was interrupted is marked so. */
export function endStep(work: StartedWork, name: string | undefined, end: StepEnd): void {
  if (!end.failed) {
    if (end.interrupted) work.span.setAttribute(ATTR_TELLTALE_INTERRUPTED, true);
    else recordCompleted(work.scope, name);
  }
  endWork(work, end.failed ? end.error : undefined, end.failed, undefined);
}

/**
 * Runs `fn` as a workflow step: a `step {name}` span (`telltale.step.name`) under the active span. A declared
 * step that returns counts as completed in the workflow manifest; an undeclared one is recorded as such. Outside
 * any workflow the span is marked `telltale.orphan` (F12).
 */
export function step<T>(name: string, fn: WorkFn<T>): Promise<T>;
export function step<T>(name: string, options: StepOptions, fn: WorkFn<T>): Promise<T>;
export function step<T>(name: string, optionsOrFn: StepOptions | WorkFn<T>, maybeFn?: WorkFn<T>): Promise<T> {
  const [options, fn] = readCall<StepOptions, T>("step", optionsOrFn, maybeFn, STEP_SCHEMA);
  const stepName = readName("step", name);
  const started = safely("step start", () => startStep(stepName, options, context.active()), undefined);
  if (started === undefined) return runUntraced(fn);
  return runIn(started.ctx, started.run, fn, (error, failed) =>
    safely("step end", () => endStep(started, stepName, failed ? { failed: true, error } : { failed: false, interrupted: false })),
  );
}
