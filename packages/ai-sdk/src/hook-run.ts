/**
 * One `generateText` / `streamText` run as ai 7's telemetry hooks report it, kept as core spans started and ended by
 * the hooks: the run is a workflow (`invoke_agent {functionId}`), each tool-loop step a core step, the model calls and
 * tools of a step run in its context. A run whose loop stopped with tools still asked for ends `partial` (F6).
 */
import { context, type Context } from "@opentelemetry/api";
import { type WorkflowOptions } from "@telltale/core";
import { startStepSpan, startWorkflowSpan, type StepSpan, type WorkflowSpan } from "@telltale/core/instrumentation";
import type { ModelCall } from "./call.js";
import { endedWithAnswer } from "./outcome.js";
import { RunScope, withRunScope } from "./run-scope.js";

/** What the start event says about a run. */
export interface HookRunAbout {
  maxRetries: number | undefined;
  stream: boolean;
  tools: Readonly<Record<string, unknown>> | undefined;
  onFinished: () => void;
}

export class HookRun {
  readonly scope = new RunScope();
  readonly context: Context;
  private readonly workflow: WorkflowSpan;
  private step: StepSpan | undefined;
  /** The model call of the current step, once its first attempt started. */
  currentCall: ModelCall | undefined;
  /** A new logical model call was announced (onLanguageModelCallStart) and has not started yet. */
  callAnnounced = false;
  ended = false;

  /** The retries the run allows (ai 7 says so in its start event). */
  readonly maxRetries: number | undefined;
  /** A `streamText` run: its model calls stream. */
  readonly stream: boolean;
  /** The run's tool set, to tell tools that make their own spans apart. */
  readonly tools: Readonly<Record<string, unknown>> | undefined;
  private readonly onFinished: () => void;

  constructor(name: string, options: WorkflowOptions, about: HookRunAbout) {
    this.maxRetries = about.maxRetries;
    this.stream = about.stream;
    this.tools = about.tools;
    this.onFinished = about.onFinished;
    this.workflow = startWorkflowSpan(name, options, context.active());
    this.context = withRunScope(this.workflow.context, this.scope);
  }

  /** The context model calls and tools of the current step run in. */
  get activeContext(): Context {
    return this.step?.context ?? this.context;
  }

  startStep(number: number): void {
    this.endStep();
    this.step = startStepSpan(String(number + 1), {}, this.context);
  }

  endStep(error?: unknown): void {
    const step = this.step;
    this.step = undefined;
    if (error === undefined) step?.end();
    else step?.fail(error);
  }

  /** The run ended normally: `result` (the end event) says whether the loop gave its answer (F6). */
  finish(result: unknown): void {
    if (this.ended) return;
    this.endStep();
    this.scope.settle();
    this.close(() => this.workflow.end(endedWithAnswer(result) === false ? "partial" : undefined));
  }

  /** The run failed or was aborted. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.endStep(error);
    this.scope.settle();
    this.close(() => this.workflow.fail(error));
  }

  /** The run's stream was dropped unread (ai 7 tells no hook): the run stopped short, marked as its stream was (F15). */
  abandon(): void {
    if (this.ended) return;
    this.workflow.softError("stream_aborted", "abandoned");
    this.endStep();
    this.close(() => this.workflow.end("partial"));
  }

  private close(endWorkflow: () => void): void {
    if (this.ended) return;
    this.ended = true;
    endWorkflow();
    this.onFinished();
  }
}
