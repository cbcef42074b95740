/**
 * Whether a tool loop ended with its answer. A run whose last step still asked for tools stopped on its step limit
 * (`stopWhen`) with work pending: the run's outcome is `partial` (F6).
 */
import { fieldsOf, itemsOf } from "@telltale/instrumentation-common";
import { finishReasonOf } from "./shapes.js";

/**
 * True when `result` (a `generateText` / `generateObject` result, an `onFinish` / `onEnd` event) shows a final
 * answer; false when its last step ended asking for tools; undefined when it does not say (e.g. a stream result
 * whose fields are promises).
 */
export function endedWithAnswer(result: unknown): boolean | undefined {
  const fields = fieldsOf(result);
  if (fields === undefined) return undefined;
  const steps = itemsOf(fields.steps);
  const last = steps.length > 0 ? fieldsOf(steps[steps.length - 1]) : fields;
  const reason = finishReasonOf(last?.finishReason) ?? finishReasonOf(fields.finishReason);
  if (reason === undefined) return undefined;
  return reason.unified !== "tool-calls";
}
