import { context, type Attributes } from "@opentelemetry/api";
import { ATTR_TELLTALE_STEP_NAME } from "./attributes.js";
import { rules, defineSchema } from "./options.js";
import { readCall, readName, runIn, runUntraced, type WorkFn } from "./run.js";
import { safely } from "./safe.js";
import type { WorkflowScope } from "./state.js";
import { endWork, startWork } from "./work.js";

/** Options of {@link step}. */
export interface StepOptions {
  attributes?: Attributes;
}

const STEP_SCHEMA = defineSchema<StepOptions>({ attributes: rules.attributes });

function recordUndeclared(scope: WorkflowScope | undefined, name: string): void {
  if (scope === undefined || scope.ended) return;
  if (!scope.expectedSteps.has(name)) scope.undeclaredSteps.add(name);
}

/** A declared step (or a tool named like one) that returned counts as completed in its workflow's manifest (F6). */
export function recordCompleted(scope: WorkflowScope | undefined, name: string | undefined): void {
  if (scope === undefined || scope.ended || name === undefined) return;
  if (scope.expectedSteps.has(name)) scope.completedSteps.add(name);
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
  const started = safely(
    "step start",
    () => {
      const attributes: Attributes = { ...options.attributes };
      if (stepName !== undefined) attributes[ATTR_TELLTALE_STEP_NAME] = stepName;
      const work = startWork(stepName === undefined ? "step" : `step ${stepName}`, attributes, context.active());
      if (stepName !== undefined) recordUndeclared(work.scope, stepName);
      return work;
    },
    undefined,
  );
  if (started === undefined) return runUntraced(fn);
  return runIn(started.ctx, started.run, fn, (error, failed) =>
    safely("step end", () => {
      if (!failed) recordCompleted(started.scope, stepName);
      endWork(started, error, failed, undefined);
    }),
  );
}
