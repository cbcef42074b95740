/**
 * The process-wide registry of per-trace state (running token and cost totals, side-effect keys), by trace id.
 *
 * A trace's state lives while a workflow (or a job `extract`ed from a queue) of that trace runs in this process. When
 * the last one ends, the state is forgotten, unless it holds side-effect keys: then it is kept, so that a redelivered
 * job of the same trace that repeats a side effect is still flagged `telltale.duplicate` (F8), and continues the
 * trace's totals. Memory is bounded: at most `maxTraces` states and {@link MAX_TRACKED_KEYS} keys in all; past
 * either, the state that ended (or started) longest ago is forgotten first.
 */
import { isValid, rules } from "./options.js";
import { coreState, type TraceState } from "./state.js";

/** Side-effect keys the registry holds over every trace, at most (about 300 B each: a few MB in all). */
const MAX_TRACKED_KEYS = 20_000;

function newTraceState(traceId: string): TraceState {
  return { traceId, tokensUsed: 0, costUsd: 0, exceeded: false, idempotencyKeys: new Set(), activeWorkflows: 0, tracked: true };
}

function evictOverflow(): void {
  const state = coreState();
  // Map iteration is insertion order, so the first entry is the state registered or released longest ago. A running
  // workflow keeps its own reference: evicting its state only forgets totals of work outside any workflow.
  while (state.traces.size > state.maxTraces || (state.trackedKeys ?? 0) > MAX_TRACKED_KEYS) {
    const oldest = state.traces.values().next().value;
    if (oldest === undefined) break;
    forget(oldest);
  }
}

function forget(traceState: TraceState): void {
  const state = coreState();
  if (state.traces.get(traceState.traceId) !== traceState) return;
  state.traces.delete(traceState.traceId);
  if (traceState.tracked) state.trackedKeys = (state.trackedKeys ?? 0) - traceState.idempotencyKeys.size;
  traceState.tracked = false;
}

/** The state of `traceId`, created on first use. */
export function traceStateFor(traceId: string): TraceState {
  const state = coreState();
  let traceState = state.traces.get(traceId);
  if (traceState === undefined) {
    traceState = newTraceState(traceId);
    state.traces.set(traceId, traceState);
    evictOverflow();
  }
  return traceState;
}

/** Adds a side-effect key to `traceState`, counted against the process-wide bound. */
export function addTrackedKey(traceState: TraceState, key: string): void {
  if (traceState.idempotencyKeys.has(key)) return;
  traceState.idempotencyKeys.add(key);
  if (!traceState.tracked) return;
  const state = coreState();
  state.trackedKeys = (state.trackedKeys ?? 0) + 1;
  evictOverflow();
}

/** A workflow or extracted job of the trace ended: forget the trace when none runs any more and it holds no
 * side-effect keys; otherwise keep it as the most recently ended trace. */
export function releaseTraceState(traceState: TraceState): void {
  traceState.activeWorkflows -= 1;
  if (traceState.activeWorkflows > 0) return;
  const state = coreState();
  if (state.traces.get(traceState.traceId) !== traceState) return;
  if (traceState.idempotencyKeys.size === 0) {
    forget(traceState);
    return;
  }
  state.traces.delete(traceState.traceId);
  state.traces.set(traceState.traceId, traceState);
}

/** How many traces core currently holds state for (for tests and diagnostics). */
export function trackedTraceCount(): number {
  return coreState().traces.size;
}

/** Bounds how many traces core holds state for (default 10 000): traces whose workflows ended but that ran side
 * effects, and work outside any workflow. The oldest is forgotten first. */
export function setMaxTrackedTraces(max: number): void {
  if (!isValid("setMaxTrackedTraces", "max", max, rules.count)) return;
  coreState().maxTraces = max;
  evictOverflow();
}
