/**
 * The tracing processor: the Agents SDK's documented extension point (`addTraceProcessor`, `setTraceProcessors`).
 * Its callbacks are synchronous and never throw; the SDK calls them fire-and-forget.
 */
import { ensureEntry, spanEnded, traceEnded, traceStarted, type AgentsSpan, type AgentsTrace } from "./mapping.js";
import { configuredOptions, type TelltaleAgentsOptions } from "./options.js";
import { installCallSiteResolver, setResolverOptions } from "./resolver.js";
import { OPENAI_AGENTS_DIAG } from "./diag.js";

function guarded(what: string, work: () => void): Promise<void> {
  try {
    work();
  } catch (failure) {
    OPENAI_AGENTS_DIAG.error(`${what} failed`, failure);
  }
  return Promise.resolve();
}

/**
 * Turns Agents SDK traces and spans into Telltale spans in the same trace as the `openai` calls the SDK makes (one
 * LLM span per model call: the SDK's response span and the `openai` call are one span). See the package README for
 * the mapping. Register it with `addTraceProcessor(telltaleProcessor())`, or let `@telltale/node` do it.
 */
const PROCESSOR_MARK = Symbol.for("telltale.openai-agents.processor");

/** Whether `value` is a Telltale processor (of either build of this package). */
export function isTelltaleProcessor(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[PROCESSOR_MARK] === true;
}

export class TelltaleTracingProcessor {
  readonly [PROCESSOR_MARK] = true;
  private readonly ownOptions: TelltaleAgentsOptions | undefined;

  /** Without `options`, those of {@link configureAgents} apply, read as each trace and span starts. */
  constructor(options?: TelltaleAgentsOptions) {
    this.ownOptions = options;
    setResolverOptions(options);
    installCallSiteResolver();
  }

  private get options(): TelltaleAgentsOptions {
    return this.ownOptions ?? configuredOptions();
  }

  onTraceStart(trace: AgentsTrace): Promise<void> {
    return guarded("onTraceStart", () => void traceStarted(trace, this.options));
  }

  onTraceEnd(trace: AgentsTrace): Promise<void> {
    return guarded("onTraceEnd", () => traceEnded(trace));
  }

  onSpanStart(span: AgentsSpan): Promise<void> {
    return guarded("onSpanStart", () => void ensureEntry(span, this.options));
  }

  onSpanEnd(span: AgentsSpan): Promise<void> {
    return guarded("onSpanEnd", () => spanEnded(span));
  }

  /** Nothing is buffered here: spans go to the OpenTelemetry SDK as they end, which flushes on its own shutdown. */
  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/** A Telltale tracing processor: `addTraceProcessor(telltaleProcessor())`. */
export function telltaleProcessor(options?: TelltaleAgentsOptions): TelltaleTracingProcessor {
  return new TelltaleTracingProcessor(options);
}
