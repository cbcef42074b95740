import { ROOT_CONTEXT, trace, INVALID_SPAN_CONTEXT, type Context, type Span } from "@opentelemetry/api";

/**
 * `parent` with `value` under `key`, as one small object in front of it. `parent.setValue(key, value)` copies the
 * parent's whole map and allocates three closures (the API's `BaseContext`); on a path that runs once per LLM call
 * that copy is measurable (bench/NOTES.md). Contexts derived from the result keep the value. For instrumentations
 * that bind their own per-call state into the context they run an SDK call in.
 */
export function bindContextValue(parent: Context, key: symbol, value: unknown): Context {
  return new BoundContext(parent, key, value);
}

class BoundContext implements Context {
  constructor(
    private readonly parent: Context,
    private readonly key: symbol,
    private readonly value: unknown,
  ) {}

  getValue(key: symbol): unknown {
    return key === this.key ? this.value : this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    if (key === this.key) return new BoundContext(this.parent, key, value);
    return new BoundContext(this.parent.setValue(key, value), this.key, this.value);
  }

  deleteValue(key: symbol): Context {
    // Deleting our key must hide the parent's value under it too, so the parent loses it as well.
    if (key === this.key) return this.parent.deleteValue(key);
    return new BoundContext(this.parent.deleteValue(key), this.key, this.value);
  }
}

// The API's active-span key. `createContextKey` is `Symbol.for(description)`, so every copy of the API shares it;
// checked once against `trace.getSpan`, and `trace.setSpan` is used if an API version ever stores spans otherwise.
const SPAN_KEY = Symbol.for("OpenTelemetry Context Key SPAN");
const SPAN_KEY_HOLDS = ((): boolean => {
  try {
    const probe = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    return trace.getSpan(new BoundContext(ROOT_CONTEXT, SPAN_KEY, probe)) === probe;
  } catch {
    return false;
  }
})();

/** `trace.setSpan(parent, span)` without copying the parent's map. */
export function contextWithSpan(parent: Context, span: Span): Context {
  return SPAN_KEY_HOLDS ? new BoundContext(parent, SPAN_KEY, span) : trace.setSpan(parent, span);
}
