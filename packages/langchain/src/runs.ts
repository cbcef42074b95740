/**
 * The LangChain runs under way in this process, by run id, with the span (or model call) each one became. Shared by
 * every handler instance and by the ESM and CJS copies of this package, so that a run seen by two handlers (one
 * registered globally, one passed explicitly) is recorded once.
 */
import type { Context } from "@opentelemetry/api";
import type { ManualSpan, ModelCall, RetrySpan } from "@telltale/core/instrumentation";

export type RunKind = "workflow" | "step" | "tool" | "model" | "retry" | "through";

/** One LangChain run and what it became. */
export interface RunEntry {
  readonly id: string;
  readonly kind: RunKind;
  readonly parent: RunEntry | undefined;
  /** The context work under this run starts in: its own span's, or (a run without a span) its parent's. */
  readonly context: Context;
  /** The LangGraph node this run belongs to (its own name for a node's run). */
  readonly node: string | undefined;
  /** The top-level run's timeout (ms), which nested runs inherit in their metadata. */
  readonly rootTimeoutMs: number | undefined;
  /** The span of a workflow, step, tool or retry run. */
  readonly span?: ManualSpan;
  /** Ends `span` when the run ended without an error: paused (`interrupted`), or with its output. */
  readonly close?: (interrupted: boolean, output: unknown) => void;
  /** The span of a `withRetry` run, which its attempts report to. */
  readonly retry?: RetrySpan;
  /** The model call of a chat model or LLM run. */
  readonly modelCall?: ModelCall;
  /** The context that was active when a model run started (to find it again when no LangChain context says). */
  readonly startedIn?: Context;
  /** `performance.now()` when the run started. */
  readonly startedAt: number;
  /** A workflow: one of its runs paused for input (a LangGraph interrupt). */
  paused?: boolean;
  /** Settled when the run ends (a run can end once). */
  ended: boolean;
}

/** Bounds the runs kept when some never end (an abandoned stream): the oldest is ended and forgotten. */
const MAX_OPEN_RUNS = 10_000;

interface RunRegistry {
  readonly runs: Map<string, RunEntry>;
  /** The model runs under way, to find the one an SDK call belongs to. */
  readonly models: Set<RunEntry>;
}

const REGISTRY_SYMBOL = Symbol.for("telltale.langchain.runs.v1");

export function runRegistry(): RunRegistry {
  const holder = globalThis as unknown as Record<symbol, RunRegistry | undefined>;
  return (holder[REGISTRY_SYMBOL] ??= { runs: new Map(), models: new Set() });
}

export function findRun(id: unknown): RunEntry | undefined {
  return typeof id === "string" ? runRegistry().runs.get(id) : undefined;
}

export function addRun(entry: RunEntry, endEvicted: (evicted: RunEntry) => void): void {
  const { runs, models } = runRegistry();
  runs.set(entry.id, entry);
  if (entry.kind === "model") models.add(entry);
  while (runs.size > MAX_OPEN_RUNS) {
    const oldest = runs.values().next().value;
    if (oldest === undefined) break;
    removeRun(oldest);
    endEvicted(oldest);
  }
}

export function removeRun(entry: RunEntry): void {
  const { runs, models } = runRegistry();
  entry.ended = true;
  if (runs.get(entry.id) === entry) runs.delete(entry.id);
  models.delete(entry);
}

/** The workflow `entry` runs in. */
export function workflowOf(entry: RunEntry): RunEntry | undefined {
  for (let current: RunEntry | undefined = entry; current !== undefined; current = current.parent) {
    if (current.kind === "workflow") return current;
  }
  return undefined;
}

/** Whether `entry` runs under `ancestor` (or is it). */
export function isWithin(entry: RunEntry, ancestor: RunEntry): boolean {
  for (let current: RunEntry | undefined = entry; current !== undefined; current = current.parent) {
    if (current === ancestor) return true;
  }
  return false;
}
