/**
 * One `generateText` / `streamText` run as ai 7's telemetry hooks report it, kept as core spans: the run is a
 * workflow (`invoke_agent {functionId}`), each tool-loop step a core step, the model calls and tools of a step run
 * in its context. Core's workflow and step take a function; here the function's promise is settled by the hooks.
 */
import { context, diag, type Context, type Span } from "@opentelemetry/api";
import { markKeep, step, workflow, ATTR_TELLTALE_SOFT_ERROR, ATTR_TELLTALE_SOFT_ERROR_DETAIL, type WorkflowOptions } from "@telltale/core";
import type { ModelCall } from "./call.js";
import { deferred, type Deferred } from "./deferred.js";
import { ANSWER_STEP, endedWithAnswer } from "./outcome.js";
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
  private readonly done = deferred<void>();
  private stepDone: Deferred<void> | undefined;
  private stepContext: Context | undefined;
  /** The model call of the current step, once its first attempt started. */
  currentCall: ModelCall | undefined;
  /** A new logical model call was announced (onLanguageModelCallStart) and has not started yet. */
  callAnnounced = false;
  ended = false;
  private readonly span: Span | undefined;

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
    let captured: Context = context.active();
    let span: Span | undefined;
    workflow(name, { ...options, steps: [ANSWER_STEP] }, (run) => {
      captured = withRunScope(context.active(), this.scope);
      span = run.span;
      return this.done.promise;
    }).catch(() => undefined);
    this.context = captured;
    this.span = span;
  }

  /** The context model calls and tools of the current step run in. */
  get activeContext(): Context {
    return this.stepContext ?? this.context;
  }

  startStep(number: number): void {
    this.endStep();
    const done = deferred<void>();
    this.stepDone = done;
    context.with(this.context, () =>
      step(String(number + 1), () => {
        this.stepContext = context.active();
        return done.promise;
      }).catch(() => undefined),
    );
  }

  endStep(error?: unknown): void {
    const done = this.stepDone;
    this.stepDone = undefined;
    this.stepContext = undefined;
    if (done === undefined) return;
    if (error === undefined) done.resolve();
    else done.reject(error);
  }

  /** The run ended normally: `result` (the end event) says whether the loop gave its answer (F6). */
  finish(result: unknown): void {
    if (this.ended) return;
    this.endStep();
    this.scope.settle();
    if (endedWithAnswer(result) === false) {
      this.close();
      return;
    }
    context.with(this.context, () => step(ANSWER_STEP, () => undefined)).then(
      () => this.close(),
      () => this.close(),
    );
  }

  /** The run failed or was aborted. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.endStep(error);
    this.scope.settle();
    this.close(error);
  }

  /** The run's stream was dropped unread (ai 7 tells no hook): the run ends, marked as its stream was (F15). */
  abandon(): void {
    if (this.ended) return;
    try {
      if (this.span !== undefined) {
        this.span.setAttribute(ATTR_TELLTALE_SOFT_ERROR, "stream_aborted");
        this.span.setAttribute(ATTR_TELLTALE_SOFT_ERROR_DETAIL, "abandoned");
        markKeep(this.span, "soft_error");
      }
    } catch (failure) {
      diag.error("telltale: marking an abandoned AI SDK run failed", failure);
    }
    this.endStep();
    this.close();
  }

  private close(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    if (error === undefined) this.done.resolve();
    else this.done.reject(error);
    this.onFinished();
  }
}

