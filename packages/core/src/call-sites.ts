/**
 * Where an LLM call belongs when a framework, not the active context, knows it.
 *
 * Agent frameworks (LangChain, LangGraph, the OpenAI Agents SDK) report their structure through callbacks and keep
 * their own async context: when their model code calls the `openai` or `@anthropic-ai/sdk` client, the active
 * OpenTelemetry context is still the one the app started the run in, not the graph node or agent that made the
 * call. A framework integration registers a resolver here; `startLlmCall` asks it where a call that starts without
 * an explicit parent belongs, and joins the framework's own model call when there is one (so that one model call
 * stays one span, with the SDK calls of the framework's retries as its attempts).
 */
import { context, type Context } from "@opentelemetry/api";
import type { LlmCall, LlmCallOptions } from "./llm.js";
import { reportFailure } from "./safe.js";

/** A framework's model call that SDK calls can join (see `startModelCall`). */
export interface JoinableModelCall {
  /** The call an SDK call reports to, or undefined when this SDK call cannot be one of its attempts. `options` are
   * the SDK call's own, as checked by `startLlmCall` (a required one may be missing when it was invalid). */
  join(options: Partial<LlmCallOptions>): LlmCall | undefined;
}

/** Where a framework integration says an LLM call that starts now belongs. */
export interface LlmCallSite {
  /** The context to start the call's span in (the framework run's span, with its workflow's deadline and budget). */
  readonly context: Context;
  /** The framework's model call this SDK call is part of: the SDK call then reports to its span. */
  readonly modelCall?: JoinableModelCall;
}

/** Tells where an LLM call starting in `active` belongs, or undefined when the integration does not know. */
export type LlmCallSiteResolver = (active: Context) => LlmCallSite | undefined;

interface CallSiteRegistry {
  resolvers: readonly LlmCallSiteResolver[];
}

// Shared by the ESM and CJS copies of core, like core's state (see "Dual package hazard" in ARCHITECTURE.md).
const REGISTRY_SYMBOL = Symbol.for("telltale.core.call-sites.v1");
let cachedRegistry: CallSiteRegistry | undefined;

function registry(): CallSiteRegistry {
  if (cachedRegistry !== undefined) return cachedRegistry;
  const holder = globalThis as unknown as Record<symbol, CallSiteRegistry | undefined>;
  cachedRegistry = holder[REGISTRY_SYMBOL] ??= { resolvers: [] };
  return cachedRegistry;
}

/**
 * Registers a framework integration's resolver; LLM calls started without an explicit parent ask it first. Returns
 * the function that removes it.
 */
export function registerLlmCallSiteResolver(resolver: LlmCallSiteResolver): () => void {
  const target = registry();
  target.resolvers = [...target.resolvers, resolver];
  return () => {
    target.resolvers = target.resolvers.filter((registered) => registered !== resolver);
  };
}

/** What `startLlmCall` does with a call: report to a framework's model call, or start under another parent. */
export type LlmCallPlacement = { readonly call: LlmCall } | { readonly parent: Context };

/** Asks the registered resolvers where a call starting now belongs; undefined when none knows. Never throws. */
export function placeLlmCall(options: Partial<LlmCallOptions>): LlmCallPlacement | undefined {
  const resolvers = registry().resolvers;
  if (resolvers.length === 0) return undefined;
  try {
    const current = context.active();
    for (const resolver of resolvers) {
      const site = resolver(current);
      if (site === undefined) continue;
      const joined = site.modelCall?.join(options);
      return joined === undefined ? { parent: site.context } : { call: joined };
    }
  } catch (failure) {
    reportFailure("placing an LLM call", failure);
  }
  return undefined;
}
