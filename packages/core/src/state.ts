import { createContextKey, type Context, type MeterProvider, type Span } from "@opentelemetry/api";
import type { KeepReason } from "./attributes.js";
import { DEFAULT_PRICES, type PriceMemo, type PriceTable } from "./prices.js";
import type { Instruments } from "./metrics.js";

/** `observe` records that the budget was exceeded; `enforce` also refuses further LLM calls. */
export type BudgetMode = "observe" | "enforce";

/** A workflow's budget (F9): limits on the whole trace's LLM usage. */
export interface BudgetOptions {
  /** Input plus output tokens over every LLM call in the trace. */
  tokens?: number;
  /** US dollars over every LLM call in the trace, priced from the price table. */
  costUsd?: number;
  /** Default `observe`. */
  mode?: BudgetMode;
}

/** Per-trace running totals and idempotency keys, shared by every workflow and LLM call of one trace. */
export interface TraceState {
  readonly traceId: string;
  tokensUsed: number;
  costUsd: number;
  /** The budget limit already crossed in this trace (so it is marked once, where it happened). */
  exceeded: boolean;
  /** `tool name` + NUL + idempotency key of every side effect that ran in this trace (F8); see idempotency.ts. */
  readonly idempotencyKeys: Set<string>;
  /** Workflows (and extracted jobs) of this trace running in this process right now. */
  activeWorkflows: number;
  /** Whether the registry (trace-state.ts) holds this state, so its keys count against the process-wide bound. */
  tracked: boolean;
}

/** What a workflow puts in the context for everything that runs under it. */
export interface WorkflowScope {
  readonly name: string;
  readonly traceId: string;
  /** The workflow span; undefined for a scope restored from a job payload by `extract`. */
  readonly span: Span | undefined;
  readonly expectedSteps: ReadonlySet<string>;
  readonly completedSteps: Set<string>;
  readonly undeclaredSteps: Set<string>;
  readonly budget: Readonly<BudgetOptions> | undefined;
  /** Epoch milliseconds of the deadline. */
  readonly deadlineAt: number | undefined;
  readonly signal: AbortSignal;
  readonly trace: TraceState;
  ended: boolean;
  deadlineExceeded: boolean;
  /** Steps, tools, spawned tasks and nested workflows started under this workflow and still running (F11). */
  pending: number;
}

/**
 * A span core started (workflow, step, tool, spawn, retry), as the work started under it finds it in the context:
 * the span, and when it ended (epoch ms; undefined while it runs). Work that ends after it is late (F11). The end
 * time lives on this object, which core owns anyway, rather than in a map keyed by the span: a `WeakMap` entry per
 * span costs far more than the span's other bookkeeping, most of it in the garbage collector.
 */
export interface CoreSpanEntry {
  readonly span: Span;
  endedAt: number | undefined;
}

/** Process-wide state, shared by the ESM and CJS copies of core (see "Dual package hazard" in ARCHITECTURE.md). */
export interface CoreState {
  readonly workflowKey: symbol;
  /** The nearest span core created, as a {@link CoreSpanEntry}: the origin for late detection. (An older copy of
   * core sharing this state puts the span itself there, which has no `endedAt`: work under it is not judged late.) */
  readonly coreSpanKey: symbol;
  readonly keepReasons: WeakMap<Span, Set<KeepReason>>;
  /** End times of the spans an older copy of core created, which that copy writes and reads; this copy keeps them
   * on its {@link CoreSpanEntry}s. */
  readonly spanEnds: WeakMap<Span, number>;
  /** Trace states by trace id, bounded by `maxTraces` and by the idempotency keys they hold (oldest evicted first). */
  readonly traces: Map<string, TraceState>;
  maxTraces: number;
  /** Idempotency keys held by the states in `traces` (absent in a state created by an older copy of core). */
  trackedKeys?: number;
  prices: PriceTable;
  /** Prices looked up in `prices` (absent in a state created by an older copy of core). */
  priceMemo?: PriceMemo | undefined;
  /** The budget of a workflow that declares none and runs outside any other workflow (set by `setDefaultBudget`). */
  defaultBudget?: BudgetOptions | undefined;
  /** Core's own instruments, on the global meter provider they were created on (metrics.ts). */
  instruments: { provider: MeterProvider; instruments: Instruments } | undefined;
}

const STATE_SYMBOL = Symbol.for("telltale.core.state.v1");

function createState(): CoreState {
  return {
    workflowKey: createContextKey("telltale.core.workflow"),
    coreSpanKey: createContextKey("telltale.core.span"),
    keepReasons: new WeakMap(),
    spanEnds: new WeakMap(),
    traces: new Map(),
    maxTraces: 10_000,
    prices: DEFAULT_PRICES,
    instruments: undefined,
  };
}

// The global entry is created once and never replaced (by this copy or the other), so it is looked up once: this
// runs several times per LLM call, and a symbol lookup on globalThis is a dictionary lookup.
let cachedState: CoreState | undefined;

/** The one shared state object. */
export function coreState(): CoreState {
  if (cachedState !== undefined) return cachedState;
  const holder = globalThis as unknown as Record<symbol, CoreState | undefined>;
  let state = holder[STATE_SYMBOL];
  if (state === undefined) {
    state = createState();
    holder[STATE_SYMBOL] = state;
  }
  cachedState = state;
  return state;
}

export function workflowScopeOf(ctx: Context): WorkflowScope | undefined {
  return ctx.getValue(coreState().workflowKey) as WorkflowScope | undefined;
}
