/**
 * Side effects and their idempotency keys (F8): a side-effecting tool without a key is flagged
 * `telltale.idempotency.missing`, and the same tool with the same key twice in one trace `telltale.duplicate`, also
 * when the second run is a redelivered queue job (trace-state.ts keeps the keys after the first consumer ends, and
 * `inject` carries the producer's keys to consumers in other processes).
 */
import { trace, type Span } from "@opentelemetry/api";
import { ATTR_TELLTALE_DUPLICATE, ATTR_TELLTALE_IDEMPOTENCY_KEY, ATTR_TELLTALE_IDEMPOTENCY_MISSING, ATTR_TELLTALE_SIDE_EFFECT } from "./attributes.js";
import { CORE_DIAG } from "./diag.js";
import { fingerprint } from "./fingerprint.js";
import { markKeep } from "./keep.js";
import type { TraceState, WorkflowScope } from "./state.js";
import { addTrackedKey, traceStateFor } from "./trace-state.js";

/** Side-effect keys remembered per trace: a key past this is not remembered, so a repeat of it is not flagged. */
const MAX_KEYS_PER_TRACE = 1_000;
/** Side-effect keys `inject` writes into a job carrier (the most recent ones), so the payload stays small. */
const MAX_CARRIED_KEYS = 32;
// A longer tool name + key is remembered (and carried) as its length and two hashes, so each entry stays small.
const MAX_KEY_CHARS = 200;

/** How one side effect is remembered: tool name and key, or a digest of them when long. */
function sideEffectKey(toolName: string, idempotencyKey: string): string {
  const key = `${toolName}\u0000${idempotencyKey}`;
  if (key.length <= MAX_KEY_CHARS) return key;
  return `\u0001${key.length}:${fingerprint(key)}:${fingerprint([key])}`;
}

let reportedFullTrace = false;

function remember(traceState: TraceState, key: string): void {
  if (traceState.idempotencyKeys.size < MAX_KEYS_PER_TRACE) {
    addTrackedKey(traceState, key);
  } else if (!reportedFullTrace) {
    reportedFullTrace = true;
    CORE_DIAG.warn(
      `a trace ran more than ${MAX_KEYS_PER_TRACE} side effects with idempotency keys; ` +
        "later keys are not remembered, so their repeats are not flagged as duplicates",
    );
  }
}

/** Records the side effect of a tool span: flags, key, and whether the same key already ran in the trace. */
export function recordSideEffect(span: Span, toolName: string | undefined, idempotencyKey: string | undefined, scope: WorkflowScope | undefined): void {
  span.setAttribute(ATTR_TELLTALE_SIDE_EFFECT, true);
  if (idempotencyKey === undefined || idempotencyKey === "") {
    span.setAttribute(ATTR_TELLTALE_IDEMPOTENCY_MISSING, true);
    markKeep(span, "idempotency_missing");
    return;
  }
  span.setAttribute(ATTR_TELLTALE_IDEMPOTENCY_KEY, idempotencyKey);
  const spanContext = span.spanContext();
  const traceState = scope?.trace ?? (trace.isSpanContextValid(spanContext) ? traceStateFor(spanContext.traceId) : undefined);
  if (traceState === undefined) return;
  const key = sideEffectKey(toolName ?? "", idempotencyKey);
  if (traceState.idempotencyKeys.has(key)) {
    span.setAttribute(ATTR_TELLTALE_DUPLICATE, true);
    markKeep(span, "duplicate");
  } else {
    remember(traceState, key);
  }
}

/** The keys a job carrier takes along: the most recent {@link MAX_CARRIED_KEYS}. */
export function carriedKeys(traceState: TraceState): string[] | undefined {
  const keys = traceState.idempotencyKeys;
  if (keys.size === 0) return undefined;
  const all = [...keys];
  return all.length > MAX_CARRIED_KEYS ? all.slice(-MAX_CARRIED_KEYS) : all;
}

/** Adds the keys a carrier brought to the consumer's trace (what does not look like one of ours is skipped). */
export function restoreKeys(traceState: TraceState, keys: readonly unknown[]): void {
  for (const key of keys.slice(0, MAX_CARRIED_KEYS)) {
    if (typeof key !== "string" || key.length > MAX_KEY_CHARS) continue;
    if (!traceState.idempotencyKeys.has(key)) remember(traceState, key);
  }
}
