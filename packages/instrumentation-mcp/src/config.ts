/**
 * The instrumentation's configuration, and how it is read once into what each call needs. Bad values are reported
 * through `diag`, naming the option, and ignored: configuration never throws into the app.
 */
import type { InstrumentationConfig } from "@opentelemetry/instrumentation";
import { resolveContentCapture, type ContentCapture, type ContentCaptureConfig } from "@telltale/instrumentation-common";
import { MCP_DIAG } from "./diag.js";

/** The arguments of a `tools/call`, as the client sent them. */
export type ToolArguments = Readonly<Record<string, unknown>> | undefined;

/** Configuration of {@link McpInstrumentation}. */
export interface McpInstrumentationConfig extends InstrumentationConfig, ContentCaptureConfig {
  /**
   * The tools that write, send or charge something (F8): their client calls get core `tool()`'s idempotency checks
   * (`telltale.side_effect`, `telltale.idempotency.key` or `telltale.idempotency.missing`, `telltale.duplicate`).
   * A list of tool names, or a predicate of the tool name and arguments.
   */
  sideEffectTools?: readonly string[] | ((toolName: string, args: ToolArguments) => boolean);
  /**
   * The idempotency key of a side-effecting call. Default: the `idempotency_key` or `idempotencyKey` string argument.
   */
  idempotencyKey?: (toolName: string, args: ToolArguments) => string | undefined;
  /**
   * When a `tools/call` runs directly inside an `execute_tool` span of the same tool (core's `tool()`, or another
   * instrumentation's), add the MCP attributes to that span instead of starting a second one. Default true.
   */
  reuseToolSpans?: boolean;
  /** How many `telltale.mcp.progress` events one request span takes at most. Default 16. */
  maxProgressEvents?: number;
}

export const DEFAULT_MAX_PROGRESS_EVENTS = 16;

/** What the call tracers read on every call, resolved once per configuration. */
export interface ResolvedConfig {
  readonly capture: ContentCapture;
  readonly reuseToolSpans: boolean;
  readonly maxProgressEvents: number;
  isSideEffect(toolName: string, args: ToolArguments): boolean;
  idempotencyKeyOf(toolName: string, args: ToolArguments): string | undefined;
}

function defaultIdempotencyKey(_toolName: string, args: ToolArguments): string | undefined {
  const key = args?.idempotency_key ?? args?.idempotencyKey;
  return typeof key === "string" ? key : undefined;
}

function sideEffectRule(option: McpInstrumentationConfig["sideEffectTools"]): (toolName: string, args: ToolArguments) => boolean {
  if (option === undefined) return () => false;
  if (typeof option === "function") return option;
  if (Array.isArray(option) && option.every((name) => typeof name === "string")) {
    const names = new Set<string>(option);
    return (toolName) => names.has(toolName);
  }
  MCP_DIAG.error("option sideEffectTools must be an array of tool names or a function; ignored");
  return () => false;
}

/** Runs a user callback; a throw is reported and `fallback` returned instead. */
function guarded<A extends unknown[], R>(what: string, fn: (...args: A) => R, fallback: R): (...args: A) => R {
  return (...args) => {
    try {
      return fn(...args);
    } catch (err) {
      MCP_DIAG.error(`the ${what} callback threw`, err);
      return fallback;
    }
  };
}

export function resolveConfig(config: McpInstrumentationConfig): ResolvedConfig {
  let maxProgressEvents = DEFAULT_MAX_PROGRESS_EVENTS;
  if (config.maxProgressEvents !== undefined) {
    if (Number.isInteger(config.maxProgressEvents) && config.maxProgressEvents >= 0) maxProgressEvents = config.maxProgressEvents;
    else MCP_DIAG.error(`option maxProgressEvents must be an integer >= 0, got ${String(config.maxProgressEvents)}; using ${DEFAULT_MAX_PROGRESS_EVENTS}`);
  }
  let idempotencyKey = defaultIdempotencyKey;
  if (config.idempotencyKey !== undefined) {
    if (typeof config.idempotencyKey === "function") idempotencyKey = config.idempotencyKey;
    else MCP_DIAG.error("option idempotencyKey must be a function; using the default");
  }
  return {
    capture: resolveContentCapture(config, process.env, MCP_DIAG),
    reuseToolSpans: config.reuseToolSpans !== false,
    maxProgressEvents,
    isSideEffect: guarded("sideEffectTools", sideEffectRule(config.sideEffectTools), false),
    idempotencyKeyOf: guarded("idempotencyKey", idempotencyKey, undefined),
  };
}
