import { createContextKey, type Context } from "@opentelemetry/api";

// Set while ai 7's telemetry integration runs an attempt: the middleware on the same model then passes it through,
// so that one attempt is never recorded on two spans.
const HANDLED_KEY = createContextKey("telltale.ai-sdk.attempt_handled");

export function markHandled(ctx: Context): Context {
  return ctx.setValue(HANDLED_KEY, true);
}

export function isHandled(ctx: Context): boolean {
  return ctx.getValue(HANDLED_KEY) === true;
}
