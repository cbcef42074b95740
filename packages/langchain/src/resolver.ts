/**
 * Where an SDK call made inside a LangChain run belongs. LangChain keeps the runnable config of the run executing
 * now in its own AsyncLocalStorage (shared process-wide under a global symbol, so both builds of `@langchain/core`
 * use one); its callback manager names that run as the parent of whatever starts next. The SDK call starts under
 * that run's span, and when exactly one model run is under way beneath it, the SDK call joins that model's call.
 */
import { context, type Context } from "@opentelemetry/api";
import { registerLlmCallSiteResolver, type LlmCallSite } from "@telltale/core/instrumentation";
import { fieldsOf } from "./fields.js";
import { findRun, isWithin, runRegistry, type RunEntry } from "./runs.js";

/** `@langchain/core`'s names for its AsyncLocalStorage and for the config it keeps there. */
const LANGCHAIN_STORAGE = Symbol.for("ls:tracing_async_local_storage");
const LANGCHAIN_CHILD_CONFIG = Symbol.for("lc:child_config");
const RESOLVER_INSTALLED = Symbol.for("telltale.langchain.resolver.v1");

interface Storage {
  getStore(): unknown;
}

/** The run LangChain says is executing now (the parent of what starts next), if Telltale tracks it. */
export function currentRun(): RunEntry | undefined {
  const storage = (globalThis as unknown as Record<symbol, Storage | undefined>)[LANGCHAIN_STORAGE];
  const store = fieldsOf(storage?.getStore?.());
  const extra = store?.extra as Readonly<Record<symbol, unknown>> | undefined;
  const config = fieldsOf(typeof extra === "object" && extra !== null ? extra[LANGCHAIN_CHILD_CONFIG] : undefined);
  const callbacks = fieldsOf(config?.callbacks);
  return findRun(callbacks?._parentRunId);
}

function modelUnder(run: RunEntry | undefined, active: Context): RunEntry | undefined {
  let found: RunEntry | undefined;
  for (const model of runRegistry().models) {
    // Without a LangChain context (a top-level sequence), the model started in the same active context.
    const matches = run === undefined ? model.startedIn === active : isWithin(model, run);
    if (!matches) continue;
    if (found !== undefined) return undefined; // two model calls under way there: which one is unknowable
    found = model;
  }
  return found;
}

function callSite(active: Context): LlmCallSite | undefined {
  const run = currentRun();
  const model = modelUnder(run, active);
  if (model?.modelCall !== undefined) return { context: model.context, modelCall: model.modelCall };
  return run === undefined ? undefined : { context: run.context };
}

/** Registers the resolver with core once per process. */
export function installCallSiteResolver(): void {
  const holder = globalThis as unknown as Record<symbol, boolean | undefined>;
  if (holder[RESOLVER_INSTALLED] === true) return;
  holder[RESOLVER_INSTALLED] = true;
  registerLlmCallSiteResolver(callSite);
}

/**
 * The OpenTelemetry context of the LangChain run executing now (a graph node's step, a tool's span), or the active
 * context outside any. Inside a node, `inject({}, runContext())` writes a carrier that joins the run's trace, e.g. in
 * the payload of an `interrupt()` whose answer another process resumes (F14).
 */
export function runContext(): Context {
  return currentRun()?.context ?? context.active();
}
