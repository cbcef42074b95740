/**
 * The calls a run left open for a retry. A call whose last attempt failed with an error the AI SDK retries stays
 * open until the next attempt; when the run ends first, no attempt will come, and the run settles it.
 */
import { createContextKey, type Context } from "@opentelemetry/api";
import type { ModelCall } from "./call.js";

const RUN_SCOPE_KEY = createContextKey("telltale.ai-sdk.run");

export class RunScope {
  private readonly calls = new Set<ModelCall>();

  /** `call` belongs to this run until it ends. */
  track(call: ModelCall): void {
    if (call.isEnded) return;
    this.calls.add(call);
    call.onEnd(() => this.calls.delete(call));
  }

  /** The run is over: every call still open for a retry ends with its last attempt's error. */
  settle(): void {
    for (const call of [...this.calls]) call.settle();
  }
}

export function withRunScope(ctx: Context, scope: RunScope): Context {
  return ctx.setValue(RUN_SCOPE_KEY, scope);
}

export function runScopeOf(ctx: Context): RunScope | undefined {
  return ctx.getValue(RUN_SCOPE_KEY) as RunScope | undefined;
}
