import { ROOT_CONTEXT, trace, INVALID_SPAN_CONTEXT, type Context, type Span } from "@opentelemetry/api";
import type { CoreSpanEntry } from "./state.js";

/**
 * `parent` with `value` under `key`, as one small object in front of it. `parent.setValue(key, value)` copies the
 * parent's whole map and allocates three closures (the API's `BaseContext`); on a path that runs once per LLM call
 * that copy is measurable (docs/performance.md). Contexts derived from the result keep the value. For
 * instrumentations that bind their own per-call state into the context they run an SDK call in.
 */
export function bindContextValue(parent: Context, key: symbol, value: unknown): Context {
  return new BoundContext(parent, key, value, NO_KEY, undefined, NO_KEY, undefined);
}

/** Fills the unused slots of a {@link BoundContext}: no caller holds it, so no lookup matches it. */
const NO_KEY = Symbol("telltale.core.no-key");

/**
 * Up to three values in front of a parent context, in one object: what a span core starts puts in the context (the
 * active span, core's own span key, the workflow) costs one allocation instead of a copy of the parent's map per value.
 */
class BoundContext implements Context {
  constructor(
    private readonly parent: Context,
    private readonly key1: symbol,
    private readonly value1: unknown,
    private readonly key2: symbol,
    private readonly value2: unknown,
    private readonly key3: symbol,
    private readonly value3: unknown,
  ) {}

  getValue(key: symbol): unknown {
    if (key === this.key1) return this.value1;
    if (key === this.key2) return this.value2;
    if (key === this.key3) return this.value3;
    return this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    if (key === this.key1) return new BoundContext(this.parent, key, value, this.key2, this.value2, this.key3, this.value3);
    if (key === this.key2) return new BoundContext(this.parent, this.key1, this.value1, key, value, this.key3, this.value3);
    if (key === this.key3) return new BoundContext(this.parent, this.key1, this.value1, this.key2, this.value2, key, value);
    return new BoundContext(this.parent.setValue(key, value), this.key1, this.value1, this.key2, this.value2, this.key3, this.value3);
  }

  deleteValue(key: symbol): Context {
    // Deleting one of ours must hide the parent's value under that key too, so the parent loses it as well.
    const parent = this.parent.deleteValue(key);
    return new BoundContext(
      parent,
      key === this.key1 ? NO_KEY : this.key1,
      key === this.key1 ? undefined : this.value1,
      key === this.key2 ? NO_KEY : this.key2,
      key === this.key2 ? undefined : this.value2,
      key === this.key3 ? NO_KEY : this.key3,
      key === this.key3 ? undefined : this.value3,
    );
  }
}

// The API's active-span key. `createContextKey` is `Symbol.for(description)`, so every copy of the API shares it;
// checked once against `trace.getSpan`, and `trace.setSpan` is used if an API version ever stores spans otherwise.
const SPAN_KEY = Symbol.for("OpenTelemetry Context Key SPAN");
const SPAN_KEY_HOLDS = ((): boolean => {
  try {
    const probe = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    return trace.getSpan(new BoundContext(ROOT_CONTEXT, SPAN_KEY, probe, NO_KEY, undefined, NO_KEY, undefined)) === probe;
  } catch {
    return false;
  }
})();

/** `trace.setSpan(parent, span)` without copying the parent's map. */
export function contextWithSpan(parent: Context, span: Span): Context {
  return SPAN_KEY_HOLDS ? new BoundContext(parent, SPAN_KEY, span, NO_KEY, undefined, NO_KEY, undefined) : trace.setSpan(parent, span);
}

/**
 * `parent` with `entry.span` active and `entry` held under `spanKey` (core's key for the spans it starts), and `value`
 * under `key` when given: `trace.setSpan(parent, entry.span).setValue(spanKey, entry).setValue(key, value)` in one
 * object.
 */
export function contextWithCoreSpan(parent: Context, entry: CoreSpanEntry, spanKey: symbol, key?: symbol, value?: unknown): Context {
  if (!SPAN_KEY_HOLDS) {
    const withSpan = trace.setSpan(parent, entry.span).setValue(spanKey, entry);
    return key === undefined ? withSpan : withSpan.setValue(key, value);
  }
  return new BoundContext(parent, SPAN_KEY, entry.span, spanKey, entry, key ?? NO_KEY, key === undefined ? undefined : value);
}
