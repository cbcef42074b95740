/**
 * `agentRun`: one AI SDK agent run (a `generateText` / `streamText` / `generateObject` call and its tool loop) as a
 * Telltale workflow, for `ai` 5 and 6 (whose telemetry hooks cannot carry a trace context into the run) and for a
 * per-call form on 7. The run's model calls and tools become its children, its budget and deadline apply to them,
 * and a run whose tool loop stopped with tools still asked for is `partial` (F6).
 */
import { context } from "@opentelemetry/api";
import { type RunContext, type WorkflowOptions } from "@telltale/core";
import { deadlineRemainingMs, startWorkflowSpan } from "@telltale/core/instrumentation";
import { endedWithAnswer } from "./outcome.js";
import { RunScope, withRunScope } from "./run-scope.js";

/** Options of {@link agentRun}: those of core's `workflow`, whose outcome the run's result decides. */
export type AgentRunOptions = Omit<WorkflowOptions, "steps">;

/** What the run's function receives: core's run context (its `signal` aborts at the workflow deadline). */
export type AgentRunContext = RunContext;

/**
 * Runs `fn` (which calls the AI SDK) as the workflow `invoke_agent {name}`. Returns (or rejects with) exactly what
 * `fn` returns (or throws). When `fn` returns a `generateText` / `generateObject` result, or a stream result after
 * reading it, the run is `ok` if the model gave its final answer and `partial` if the tool loop stopped first.
 */
export async function agentRun<T>(name: string, options: AgentRunOptions, fn: (run: AgentRunContext) => T | PromiseLike<T>): Promise<T> {
  const scope = new RunScope();
  const run = startWorkflowSpan(name, options, context.active());
  const runContext: AgentRunContext = { span: run.span, signal: run.signal, remainingMs: () => deadlineRemainingMs(run.context) };
  let result: T;
  try {
    result = await context.with(withRunScope(run.context, scope), () => fn(runContext));
  } catch (error) {
    scope.settle();
    run.fail(error);
    throw error;
  }
  scope.settle();
  run.end(endedWithAnswer(result) === false ? "partial" : undefined);
  return result;
}
