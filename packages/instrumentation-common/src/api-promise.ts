/**
 * Observes a Stainless `APIPromise` (what every `create` returns) without replacing it.
 *
 * The user keeps the SDK's own object with `.withResponse()`, `.asResponse()`, `_thenUnwrap()`, `then/catch/finally`.
 * The observer hooks the instance's `parse()` (which `then`, `catch`, `finally` and `withResponse` go through),
 * `asResponse()` (raw access: the body is the user's, so the call ends at the headers) and `_thenUnwrap()` (the SDK's
 * helpers derive new promises with it; those are observed too, as the same call).
 */
import { context, diag, type Context } from "@opentelemetry/api";

export interface ApiPromiseObserver {
  /** The parsed result (a response object, or a `Stream` for streaming calls). Called at most once per call. */
  onParsed(value: unknown): void;
  /** The request or its parsing failed; the same error is rethrown to the user. */
  onError(error: unknown): void;
  /** The user took the raw `Response` through `.asResponse()` and never asked for the parsed result. */
  onRawResponse(response: unknown): void;
}

interface ObservedCall {
  readonly observer: ApiPromiseObserver;
  readonly parseContext: Context | undefined;
  parseRequested: boolean;
  settled: boolean;
}

interface StainlessApiPromise {
  parse(): Promise<unknown>;
  asResponse?(): Promise<unknown>;
  _thenUnwrap?(transform: (...args: never[]) => unknown): unknown;
}

function isStainlessApiPromise(value: unknown): value is StainlessApiPromise {
  return typeof value === "object" && value !== null && typeof (value as { parse?: unknown }).parse === "function";
}

function guarded(what: string, work: () => void): void {
  try {
    work();
  } catch (err) {
    diag.error(`telltale: ${what} failed`, err);
  }
}

/**
 * Makes `observer` see the outcome of `promise` (an SDK `APIPromise`), hooking the same object. Returns false when
 * `promise` does not have the APIPromise shape (nothing was hooked; the caller decides what to do).
 *
 * `parseContext` is the context parsing runs in: some SDK versions retry while reading the body (openai 7 on a body
 * timeout), and those attempts must reach the call's attempt tracker, not whatever context the user awaits in.
 */
export function observeApiPromise(promise: unknown, observer: ApiPromiseObserver, parseContext?: Context): boolean {
  if (!isStainlessApiPromise(promise)) return false;
  hook(promise, { observer, parseContext, parseRequested: false, settled: false });
  return true;
}

function settleParsed(call: ObservedCall, value: unknown): void {
  if (call.settled) return;
  call.settled = true;
  try {
    call.observer.onParsed(value);
  } catch (err) {
    diag.error("telltale: observing a response failed", err);
  }
}

function settleError(call: ObservedCall, error: unknown): void {
  if (call.settled) return;
  call.settled = true;
  try {
    call.observer.onError(error);
  } catch (err) {
    diag.error("telltale: recording an SDK error failed", err);
  }
}

function hook(promise: StainlessApiPromise, call: ObservedCall): void {
  const originalParse = promise.parse;
  let observedParse: Promise<unknown> | undefined;
  // Own properties on the SDK's object: its class, fields and every other method stay as they are.
  Object.defineProperty(promise, "parse", {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function parse(this: StainlessApiPromise): Promise<unknown> {
      call.parseRequested = true;
      if (observedParse !== undefined) return observedParse;
      const parsing =
        call.parseContext === undefined
          ? originalParse.call(this)
          : context.with(call.parseContext, () => originalParse.call(this));
      // A side branch, and the user gets the SDK's own promise: no extra promise and microtask in the user's chain.
      // Reactions run in registration order, so the observer still sees the outcome before the user does, and the
      // user's promise keeps its own (un)handled-rejection behaviour.
      parsing.then(
        (value) => settleParsed(call, value),
        (error: unknown) => settleError(call, error),
      );
      observedParse = parsing;
      return parsing;
    },
  });

  const originalAsResponse = promise.asResponse;
  if (typeof originalAsResponse === "function") {
    Object.defineProperty(promise, "asResponse", {
      configurable: true,
      writable: true,
      enumerable: false,
      value: function asResponse(this: StainlessApiPromise): Promise<unknown> {
        const raw = originalAsResponse.call(this);
        // A separate branch: the user's promise keeps its own (un)handled-rejection behaviour.
        raw.then(
          (response) => {
            if (call.parseRequested || call.settled) return;
            call.settled = true;
            guarded("observing a raw response", () => call.observer.onRawResponse(response));
          },
          (error: unknown) => {
            if (!call.parseRequested) settleError(call, error);
          },
        );
        return raw;
      },
    });
  }

  const originalThenUnwrap = promise._thenUnwrap;
  if (typeof originalThenUnwrap === "function") {
    Object.defineProperty(promise, "_thenUnwrap", {
      configurable: true,
      writable: true,
      enumerable: false,
      value: function _thenUnwrap(this: StainlessApiPromise, transform: (...args: never[]) => unknown): unknown {
        const derived = originalThenUnwrap.call(this, transform);
        if (isStainlessApiPromise(derived)) hook(derived, call);
        return derived;
      },
    });
  }
}
