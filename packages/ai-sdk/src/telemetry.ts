/**
 * Telltale as an `ai` 7 telemetry integration: `registerTelemetry(telltaleTelemetry())` once, and every
 * `generateText` / `streamText` run becomes a workflow span with its tool-loop steps, LLM call spans with every
 * attempt (ai 7 runs `executeLanguageModelCall` once per attempt of its retry loop, and announces each logical call
 * with `onLanguageModelCallStart`), and tool spans. ai 7 also says how many retries a run allows, so a failed
 * attempt is known to be the last at once.
 */
import { context } from "@opentelemetry/api";
import { type WorkflowOptions } from "@telltale/core";
import { startToolSpan, type ToolSpan } from "@telltale/core/instrumentation";
import { fieldsOf, numberOf, stringOf } from "@telltale/instrumentation-common";
import { ModelCall } from "./call.js";
import { isRetryableBySdk } from "./errors.js";
import { HookRun } from "./hook-run.js";
import { callStartOf } from "./request.js";
import { isInstrumentedTool } from "./tools.js";
import { aiSdkTracer } from "./tracer.js";
import { markHandled } from "./handled.js";
import { AI_SDK_DIAG } from "./diag.js";

/** Options of {@link telltaleTelemetry}. */
export interface TelltaleTelemetryOptions {
  /** The run's agent name when the call sets no `telemetry.functionId` (default: the operation, e.g. `generateText`). */
  agentName?: string;
  /** Budget, deadline and attributes of every run (core's workflow options; the steps are the tool loop's). */
  run?: Omit<WorkflowOptions, "steps">;
}

/** What ai 7 passes the execute hooks (only the fields Telltale reads). */
export interface ExecuteLanguageModelCallOptions<T> {
  readonly callId: string;
  readonly provider?: unknown;
  readonly modelId?: unknown;
  readonly maxOutputTokens?: unknown;
  readonly temperature?: unknown;
  execute: () => PromiseLike<T>;
}

export interface ExecuteToolOptions<T> {
  readonly callId: string;
  readonly toolCallId: string;
  readonly toolCall?: unknown;
  execute: () => PromiseLike<T>;
}

/** A telemetry integration, structurally compatible with ai 7's `Telemetry` (`registerTelemetry`). */
export interface TelltaleTelemetry {
  onStart(event: unknown): void;
  onStepStart(event: unknown): void;
  onLanguageModelCallStart(event: unknown): void;
  onToolExecutionEnd(event: unknown): void;
  onStepEnd(event: unknown): void;
  onStepError(event: unknown): void;
  onEnd(event: unknown): void;
  onAbort(event: unknown): void;
  onError(event: unknown): void;
  executeLanguageModelCall<T>(options: ExecuteLanguageModelCallOptions<T>): PromiseLike<T>;
  executeTool<T>(options: ExecuteToolOptions<T>): PromiseLike<T>;
}

const RUN_OPERATIONS: Readonly<Record<string, string>> = { "ai.generateText": "generateText", "ai.streamText": "streamText" };
/** Runs are ended by their hooks; this bounds what a run whose end never comes can hold. */
const MAX_OPEN_RUNS = 10_000;
/** Ended runs remembered for work that starts after its run ended (a tool the AI SDK still runs after an abort). */
const MAX_ENDED_RUNS = 1_000;
/** Tool spans waiting for their output; one whose end never comes is ended as such past this many. */
const MAX_OPEN_TOOLS = 10_000;

function callIdOf(event: unknown): string | undefined {
  return stringOf(fieldsOf(event)?.callId);
}

function abortErrorOf(event: unknown): Error {
  const reason = fieldsOf(event)?.reason;
  if (reason instanceof Error) return reason;
  const error = new Error(typeof reason === "string" ? reason : "The run was aborted");
  error.name = "AbortError";
  return error;
}

// Brands every integration `telltaleTelemetry` makes, so that a second registration is seen (Symbol.for: the ESM and
// CJS copies of this package agree).
const TELLTALE_TELEMETRY = Symbol.for("telltale.ai-sdk.telemetry");

/** Whether `value` is an integration made by `telltaleTelemetry` (of either copy of this package). */
export function isTelltaleTelemetry(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[TELLTALE_TELEMETRY] === true;
}

// The runs some Telltale integration already traces, process-wide: when two are registered (say `@telltale/node`'s
// and the app's own), the first to see a run traces it and the others stay out of it.
const CLAIMED_RUNS = Symbol.for("telltale.ai-sdk.claimed_runs");

function claimedRuns(): Set<string> {
  const holder = globalThis as unknown as Record<symbol, Set<string> | undefined>;
  let claimed = holder[CLAIMED_RUNS];
  if (claimed === undefined) {
    claimed = new Set();
    holder[CLAIMED_RUNS] = claimed;
  }
  return claimed;
}

class TelemetryIntegration implements TelltaleTelemetry {
  readonly [TELLTALE_TELEMETRY] = true;
  private readonly runs = new Map<string, HookRun>();
  private readonly endedRuns = new Map<string, HookRun>();
  /** Tool spans waiting for the output `onToolExecutionEnd` reports, by tool call id. */
  private readonly openTools = new Map<string, ToolSpan>();

  constructor(private readonly options: TelltaleTelemetryOptions) {}

  private guard(what: string, work: () => void): void {
    try {
      work();
    } catch (failure) {
      AI_SDK_DIAG.error(`the AI SDK ${what} hook failed`, failure);
    }
  }

  onStart(event: unknown): void {
    this.guard("onStart", () => {
      const fields = fieldsOf(event);
      const operation = RUN_OPERATIONS[stringOf(fields?.operationId) ?? ""];
      const callId = callIdOf(event);
      if (operation === undefined || callId === undefined) return;
      const claimed = claimedRuns();
      if (claimed.has(callId)) return;
      claimed.add(callId);
      const name = stringOf(fields?.functionId) ?? this.options.agentName ?? operation;
      while (this.runs.size >= MAX_OPEN_RUNS) {
        const oldest = this.runs.values().next().value;
        if (oldest === undefined) break;
        oldest.abandon();
      }
      const run: HookRun = new HookRun(name, this.options.run ?? {}, {
        maxRetries: numberOf(fields?.maxRetries),
        stream: operation === "streamText",
        tools: fieldsOf(fields?.tools),
        onFinished: () => this.ended(callId, run),
      });
      this.runs.set(callId, run);
    });
  }

  onStepStart(event: unknown): void {
    this.guard("onStepStart", () => this.runOf(event)?.startStep(numberOf(fieldsOf(event)?.stepNumber) ?? 0));
  }

  onLanguageModelCallStart(event: unknown): void {
    this.guard("onLanguageModelCallStart", () => {
      const run = this.runOf(event);
      if (run !== undefined) run.callAnnounced = true;
    });
  }

  onStepEnd(event: unknown): void {
    this.guard("onStepEnd", () => this.runOf(event)?.endStep());
  }

  onStepError(event: unknown): void {
    this.guard("onStepError", () => {
      const run = this.runOf(event);
      run?.scope.settle();
      run?.endStep(fieldsOf(event)?.error);
    });
  }

  onEnd(event: unknown): void {
    this.guard("onEnd", () => this.runOf(event)?.finish(event));
  }

  onAbort(event: unknown): void {
    this.guard("onAbort", () => this.runOf(event)?.fail(abortErrorOf(event)));
  }

  onError(event: unknown): void {
    this.guard("onError", () => this.runOf(event)?.fail(fieldsOf(event)?.error));
  }

  onToolExecutionEnd(event: unknown): void {
    this.guard("onToolExecutionEnd", () => {
      const fields = fieldsOf(event);
      const toolCallId = stringOf(fieldsOf(fields?.toolCall)?.toolCallId);
      const span = toolCallId === undefined ? undefined : this.openTools.get(toolCallId);
      if (span === undefined || toolCallId === undefined) return;
      this.openTools.delete(toolCallId);
      const output = fieldsOf(fields?.toolOutput);
      if (output?.type === "tool-error") span.fail(output.error);
      else span.end(output?.output);
    });
  }

  private ended(callId: string, run: HookRun): void {
    this.runs.delete(callId);
    claimedRuns().delete(callId);
    this.endedRuns.set(callId, run);
    while (this.endedRuns.size > MAX_ENDED_RUNS) {
      const oldest = this.endedRuns.keys().next().value;
      if (oldest === undefined) break;
      this.endedRuns.delete(oldest);
    }
  }

  private runOf(event: unknown): HookRun | undefined {
    const callId = callIdOf(event);
    return callId === undefined ? undefined : this.runs.get(callId);
  }

  executeLanguageModelCall<T>(options: ExecuteLanguageModelCallOptions<T>): PromiseLike<T> {
    const run = this.runs.get(options.callId);
    if (run === undefined) return options.execute();
    let call: ModelCall;
    try {
      if (run.callAnnounced || run.currentCall === undefined || run.currentCall.isEnded) {
        run.callAnnounced = false;
        const model = { provider: options.provider, modelId: options.modelId };
        call = new ModelCall(aiSdkTracer(), callStartOf(model, options, run.stream, run.activeContext));
        call.onEnd(() => {
          if (call.streamEnd === "abandoned") run.abandon();
        });
        run.currentCall = call;
        run.scope.track(call);
      } else {
        call = run.currentCall;
      }
    } catch (failure) {
      AI_SDK_DIAG.error("starting an AI SDK model call span failed", failure);
      return options.execute();
    }
    return this.attempt(run, call, options.execute);
  }

  private async attempt<T>(run: HookRun, call: ModelCall, execute: () => PromiseLike<T>): Promise<T> {
    const refusal = call.refusal();
    if (refusal !== undefined) {
      call.end(refusal);
      throw refusal;
    }
    const maxRetries = run.maxRetries;
    // The middleware, if the model also has it, must not record the same attempt again.
    const result = await call.attempt(
      () => context.with(markHandled(context.active()), execute),
      (error, attempts) => (maxRetries === undefined ? undefined : isRetryableBySdk(error) && attempts <= maxRetries),
    );
    const stream = fieldsOf(result)?.stream;
    if (stream instanceof ReadableStream) {
      return { ...(result as object), stream: call.observe(stream) } as T;
    }
    call.completeWith(result);
    return result;
  }

  executeTool<T>(options: ExecuteToolOptions<T>): PromiseLike<T> {
    // A tool may still start after its run ended (ai 7 runs the tools of a finished model call after an abort): it
    // belongs to that run all the same, and its span is late.
    const run = this.runs.get(options.callId) ?? this.endedRuns.get(options.callId);
    if (run === undefined) return options.execute();
    const toolName = stringOf(fieldsOf(options.toolCall)?.toolName);
    const definition = toolName === undefined ? undefined : run.tools?.[toolName];
    // Tools from `instrumentTools` make their own span (with the deadline joined to their signal): run them in the
    // step's context only.
    if (toolName === undefined || isInstrumentedTool(definition)) return context.with(run.activeContext, options.execute);
    // ai 7 hands the tool's output to `onToolExecutionEnd`, after this hook returns: the tool span ends there.
    const span = startToolSpan(toolName, { callId: options.toolCallId, type: "function" }, run.activeContext);
    this.trackTool(options.toolCallId, span);
    let executed: PromiseLike<T>;
    try {
      executed = context.with(span.context, options.execute);
    } catch (error) {
      this.untrackTool(options.toolCallId, span);
      span.fail(error);
      throw error;
    }
    // A tool that threw has its span ended with the error: no output will come.
    Promise.resolve(executed).catch((error: unknown) => {
      this.untrackTool(options.toolCallId, span);
      span.fail(error);
    });
    return executed;
  }

  private trackTool(toolCallId: string, span: ToolSpan): void {
    this.openTools.set(toolCallId, span);
    while (this.openTools.size > MAX_OPEN_TOOLS) {
      const [oldestId, oldest] = this.openTools.entries().next().value ?? [];
      if (oldestId === undefined || oldest === undefined) break;
      this.openTools.delete(oldestId);
      oldest.fail(new Error("the AI SDK never reported the tool's end"));
    }
  }

  private untrackTool(toolCallId: string, span: ToolSpan): void {
    if (this.openTools.get(toolCallId) === span) this.openTools.delete(toolCallId);
  }
}

/**
 * Telltale's telemetry integration for `ai` 7: `registerTelemetry(telltaleTelemetry())`. A call that passes its own
 * `telemetry.integrations` replaces the registered ones: list `telltaleTelemetry()` there too.
 */
export function telltaleTelemetry(options: TelltaleTelemetryOptions = {}): TelltaleTelemetry {
  return new TelemetryIntegration(options);
}
