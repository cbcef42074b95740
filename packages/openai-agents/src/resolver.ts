/**
 * Where an `openai` call made by the Agents SDK belongs. The SDK keeps its current trace and span in an
 * AsyncLocalStorage shared process-wide under a global symbol; a model call runs under its response (or generation)
 * span, whose LLM span the `openai` call joins, and any other call runs under the span current at the time.
 */
import type { Context } from "@opentelemetry/api";
import { registerLlmCallSiteResolver, type LlmCallSite } from "@telltale/core/instrumentation";
import { fieldsOf } from "./fields.js";
import { ensureEntry, traceStarted, type AgentsSpan, type AgentsTrace } from "./mapping.js";
import { configuredOptions, type TelltaleAgentsOptions } from "./options.js";

const AGENTS_STORAGE = Symbol.for("openai.agents.core.asyncLocalStorage");
const RESOLVER_STATE = Symbol.for("telltale.openai-agents.resolver.v1");

interface ResolverState {
  installed: boolean;
  options: TelltaleAgentsOptions | undefined;
}

function state(): ResolverState {
  const holder = globalThis as unknown as Record<symbol, ResolverState | undefined>;
  return (holder[RESOLVER_STATE] ??= { installed: false, options: undefined });
}

/** The options the resolver starts entries with when it meets an SDK span before the processor did. */
export function setResolverOptions(options: TelltaleAgentsOptions | undefined): void {
  state().options = options;
}

interface Storage {
  getStore(): unknown;
}

function callSite(active: Context): LlmCallSite | undefined {
  const storage = (globalThis as unknown as Record<symbol, Storage | undefined>)[AGENTS_STORAGE];
  const store = fieldsOf(storage?.getStore?.());
  if (store?.active !== true) return undefined;
  const span = fieldsOf(store.span) as AgentsSpan | undefined;
  const trace = fieldsOf(store.trace) as AgentsTrace | undefined;
  const options = state().options ?? configuredOptions();
  if (span !== undefined && typeof span.spanId === "string") {
    const entry = ensureEntry(span, options);
    return entry.modelCall === undefined ? { context: entry.context } : { context: entry.context, modelCall: entry.modelCall };
  }
  if (trace !== undefined && typeof trace.traceId === "string") return { context: traceStarted(trace, options, active).context };
  return undefined;
}

/** Registers the resolver with core once per process. */
export function installCallSiteResolver(): void {
  const current = state();
  if (current.installed) return;
  current.installed = true;
  registerLlmCallSiteResolver(callSite);
}
