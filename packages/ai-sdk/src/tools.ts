/**
 * `instrumentTools`: every tool of an AI SDK tool set runs as a core `tool()` span (`execute_tool {name}`, with the
 * model's tool call id): empty and `isError` results (F5), side effects and idempotency keys (F8), the AI SDK's
 * abort signal joined with the workflow deadline (F10), and results that arrive after the run ended (F11).
 */
import { tool, type ToolOptions } from "@telltale/core";

/** How Telltale treats one tool. */
export interface ToolSpanOptions<Input = unknown> {
  /** The tool writes, sends or charges something: it should carry an idempotency key (F8). */
  sideEffect?: boolean;
  /** The idempotency key of one call, from its input (or a fixed key). */
  idempotencyKey?: string | ((input: Input) => string | undefined);
  /** The tool's own timeout in milliseconds: flagged when longer than the time left before the deadline (F10). */
  timeoutMs?: number;
  /** Tells a failed result apart when the tool reports failure in its return value (default: `isError: true`). */
  isError?: (result: unknown) => boolean;
}

/** The part of an AI SDK tool `instrumentTools` reads. */
interface ExecutableTool {
  execute?: unknown;
}

type InputOf<T> = T extends { execute?: (input: infer I, ...rest: never[]) => unknown } ? I : unknown;

/** Per-tool options, by tool name. */
export type ToolSetOptions<TOOLS> = { [NAME in keyof TOOLS]?: ToolSpanOptions<InputOf<TOOLS[NAME]>> };

interface ExecuteOptions {
  toolCallId?: unknown;
  abortSignal?: unknown;
}

const INSTRUMENTED = Symbol.for("telltale.ai-sdk.instrumented_tool");

function isAsyncGeneratorFunction(fn: unknown): boolean {
  return typeof fn === "function" && fn.constructor?.name === "AsyncGeneratorFunction";
}

function joinSignals(sdkSignal: unknown, runSignal: AbortSignal): AbortSignal {
  return sdkSignal instanceof AbortSignal ? AbortSignal.any([sdkSignal, runSignal]) : runSignal;
}

function wrapExecute(name: string, original: (...args: unknown[]) => unknown, options: ToolSpanOptions): (...args: unknown[]) => unknown {
  const wrapped = function (this: unknown, input: unknown, rawOptions?: unknown, ...rest: unknown[]): Promise<unknown> {
    const executeOptions = rawOptions as ExecuteOptions | undefined;
    const callId = typeof executeOptions?.toolCallId === "string" ? executeOptions.toolCallId : undefined;
    const key = typeof options.idempotencyKey === "function" ? options.idempotencyKey(input) : options.idempotencyKey;
    const spanOptions: ToolOptions = { type: "function" };
    if (callId !== undefined) spanOptions.callId = callId;
    if (options.sideEffect !== undefined) spanOptions.sideEffect = options.sideEffect;
    if (key !== undefined) spanOptions.idempotencyKey = key;
    if (options.timeoutMs !== undefined) spanOptions.timeoutMs = options.timeoutMs;
    if (options.isError !== undefined) spanOptions.isError = options.isError;
    return tool(name, spanOptions, (run) =>
      original.call(this, input, { ...executeOptions, abortSignal: joinSignals(executeOptions?.abortSignal, run.signal) }, ...rest),
    );
  };
  Object.defineProperty(wrapped, INSTRUMENTED, { value: true });
  return wrapped;
}

/**
 * A copy of `tools` whose `execute` functions run as Telltale tool spans. Tools without `execute` (client-side
 * tools) and streaming tools (async generator functions) are left as they are. Works with the tool sets of `ai`
 * 5, 6 and 7.
 */
export function instrumentTools<TOOLS extends Record<string, ExecutableTool>>(tools: TOOLS, options: ToolSetOptions<TOOLS> = {}): TOOLS {
  const result: Record<string, ExecutableTool> = {};
  for (const [name, definition] of Object.entries(tools)) {
    const execute = definition.execute;
    if (typeof execute !== "function" || isAsyncGeneratorFunction(execute) || (execute as { [INSTRUMENTED]?: boolean })[INSTRUMENTED]) {
      result[name] = definition;
      continue;
    }
    const toolOptions: ToolSpanOptions = (options as Record<string, ToolSpanOptions | undefined>)[name] ?? {};
    result[name] = { ...definition, execute: wrapExecute(name, execute as (...args: unknown[]) => unknown, toolOptions) };
  }
  return result as TOOLS;
}

/** Whether `definition` is a tool whose `execute` runs as a Telltale tool span already. */
export function isInstrumentedTool(definition: unknown): boolean {
  const execute = (definition as { execute?: unknown } | undefined)?.execute;
  return typeof execute === "function" && (execute as { [INSTRUMENTED]?: boolean })[INSTRUMENTED] === true;
}
