/**
 * Observes a Stainless `APIPromise` (what every `create` returns) without replacing it.
 *
 * The user keeps the SDK's own object with `.withResponse()`, `.asResponse()`, `_thenUnwrap()`, `then/catch/finally`.
 * What is observed is the promise's `parse()` (which `then`, `catch`, `finally` and `withResponse` go through) and
 * `asResponse()` (raw access: the body is the user's, so the call ends at the headers).
 *
 * Those two methods are patched once on the `APIPromise` class's prototype, the first time an instance is observed,
 * and not on every instance: `Object.defineProperty` and closures per call cost more than the rest of the
 * observation. The call is found from the instance's `responsePromise` (the SDK's promise of the HTTP response),
 * under a symbol-keyed property (a plain assignment: a `WeakMap` entry or a non-enumerable `defineProperty` costs
 * ~50 times more per call). Promises the SDK's helpers derive with `_thenUnwrap()` share that `responsePromise` in
 * every supported SDK version, so they are observed as the same call without wrapping anything per instance. A
 * promise nobody observes goes straight to the SDK's method.
 *
 * The response itself is seen where the SDK parses it: the instance's `parseResponse(client, props)` (a public
 * field in every supported version, which the derived promises call too) is pointed at one shared function that
 * reports `props.response` and hands over to the SDK's own. That is how the call's first HTTP attempt ends without
 * a promise reaction of its own (attempts.ts).
 */
import type { DiagLogger } from "@opentelemetry/api";
import { COMMON_DIAG } from "./diag.js";
import { findMethodOwner } from "./prototype.js";

export interface ApiPromiseObserver {
  /** The parsed result (a response object, or a `Stream` for streaming calls). Called at most once per call. */
  onParsed(value: unknown): void;
  /** The request or its parsing failed; the same error is rethrown to the user. */
  onError(error: unknown): void;
  /** The user took the raw `Response` through `.asResponse()` and never asked for the parsed result. */
  onRawResponse(response: unknown): void;
  /**
   * The SDK received `response` (a fetch `Response`) and is about to parse it. Only called when the instance has a
   * `parseResponse` to hand over to ({@link observesResponses}).
   */
  onResponse?(response: unknown): void;
  /** Where a throwing callback is reported; this package's own logger when absent. */
  readonly diag?: DiagLogger;
}

const enum Outcome {
  Parsed,
  Error,
  Raw,
}

/** What failed, per outcome, in the diagnostic when the observer throws. */
const OUTCOME_FAILURES = ["observing a response", "recording an SDK error", "observing a raw response"] as const;

/**
 * One observed SDK call, shared by its `APIPromise` and the promises derived from it with `_thenUnwrap`.
 *
 * Once settled it lets go of the observer (the call's span, attempts and context). The user's `APIPromise` often
 * outlives the call, and openai 7 makes that worse for the garbage collector: it stores per-instance closures on
 * every `APIPromise` (`withResponse`, `_thenUnwrap`), and V8 keeps closures stored that way alive through every
 * young-generation collection until the next full one. Whatever the promise still reaches is copied and then
 * promoted with it: ~1 KB more per call on openai 7 before these references were dropped (bench/NOTES.md).
 */
class ObservedCall {
  parseRequested = false;
  settled = false;
  /** The last `parse()` promise a settle branch hangs on: the SDK memoizes `parse()` per instance, and the user
   * may call `then` many times on one promise. */
  private hookedParsing: Promise<unknown> | undefined = undefined;
  /** The SDK's own `parseResponse` of the observed instance, which {@link observedParseResponse} hands over to. */
  sdkParseResponse: ParseResponse | undefined = undefined;

  constructor(private observer: ApiPromiseObserver | undefined) {}

  /** The SDK is about to parse the response in `props` (`{ response, options, … }`). */
  responded(props: unknown): void {
    const observer = this.observer;
    if (observer?.onResponse === undefined || this.settled) return;
    try {
      observer.onResponse(typeof props === "object" && props !== null ? (props as { response?: unknown }).response : undefined);
    } catch (err) {
      (observer.diag ?? COMMON_DIAG).error("observing a response failed", err);
    }
  }

  /** Hangs the settle branch on one instance's parse promise, once. */
  hook(parsing: Promise<unknown>): void {
    if (parsing === this.hookedParsing) return;
    this.hookedParsing = parsing;
    // A side branch, and the user gets the SDK's own promise: no extra promise and microtask in the user's chain.
    // Reactions run in registration order, so the observer still sees the outcome before the user does, and the
    // user's promise keeps its own (un)handled-rejection behaviour.
    parsing.then(
      (value) => this.settleParsed(value),
      (error: unknown) => this.settleError(error),
    );
  }

  settleParsed(value: unknown): void {
    this.settle(Outcome.Parsed, value);
  }

  settleError(error: unknown): void {
    this.settle(Outcome.Error, error);
  }

  settleRaw(response: unknown): void {
    if (!this.parseRequested) this.settle(Outcome.Raw, response);
  }

  /** The first outcome reaches the observer, which the call then no longer holds; later ones are ignored. */
  private settle(outcome: Outcome, value: unknown): void {
    if (this.settled) return;
    this.settled = true;
    const observer = this.observer;
    this.observer = undefined;
    this.hookedParsing = undefined;
    if (observer === undefined) return;
    // One inline try/catch and a switch rather than a callback per outcome: settling allocates no closure.
    try {
      if (outcome === Outcome.Parsed) observer.onParsed(value);
      else if (outcome === Outcome.Error) observer.onError(value);
      else observer.onRawResponse(value);
    } catch (err) {
      (observer.diag ?? COMMON_DIAG).error(`${OUTCOME_FAILURES[outcome]} failed`, err);
    }
  }
}

type PromiseMethod = (this: object, ...args: never[]) => unknown;
type ParseResponse = (this: object, client: unknown, props: unknown) => unknown;

interface StainlessApiPromise {
  parse: PromiseMethod;
  parseResponse?: unknown;
  asResponse?: PromiseMethod;
  /** The SDK's promise of the HTTP response, shared with the promises `_thenUnwrap` derives. */
  responsePromise: object;
}

// Module-private: an ESM and a CJS copy of this package each keep their own observations and patches.
const OBSERVED = Symbol("telltale.observed");
const PATCHED = Symbol("telltale.api_promise_patch");

type Observable = object & { [OBSERVED]?: ObservedCall };

/** The call an APIPromise (or one derived from it) belongs to. */
function observedCallOf(promise: object): ObservedCall | undefined {
  const responsePromise = (promise as { responsePromise?: unknown }).responsePromise;
  return typeof responsePromise === "object" && responsePromise !== null ? (responsePromise as Observable)[OBSERVED] : undefined;
}

interface Patch {
  readonly owner: Record<string, unknown>;
  readonly name: string;
  readonly original: unknown;
  readonly patched: unknown;
}

const patches: Patch[] = [];
const patchedOwners = new WeakSet<object>();
const patchHolders = new Set<object>();

function isStainlessApiPromise(value: unknown): value is StainlessApiPromise {
  if (typeof value !== "object" || value === null) return false;
  const { parse, responsePromise } = value as { parse?: unknown; responsePromise?: unknown };
  return typeof parse === "function" && typeof responsePromise === "object" && responsePromise !== null;
}

function isPatched(method: unknown): boolean {
  return (method as { [PATCHED]?: boolean })[PATCHED] === true;
}

/**
 * Makes `observer` see the outcome of `promise` (an SDK `APIPromise`), on the same object, and with
 * `observer.onResponse` its response before parsing when the instance has a `parseResponse` to hand over to
 * ({@link observesResponses}). Returns false when `promise` does not have the APIPromise shape (a `parse` method and
 * a `responsePromise`), or its `parse` is an own property of the instance rather than a class method (nothing was
 * observed; the caller decides what to do).
 */
export function observeApiPromise(promise: unknown, observer: ApiPromiseObserver): boolean {
  if (!isStainlessApiPromise(promise) || !ensurePatched(promise)) return false;
  const call = new ObservedCall(observer);
  (promise.responsePromise as Observable)[OBSERVED] = call;
  const sdkParseResponse = promise.parseResponse;
  if (observer.onResponse !== undefined && typeof sdkParseResponse === "function") {
    call.sdkParseResponse = sdkParseResponse as ParseResponse;
    promise.parseResponse = observedParseResponse;
  }
  return true;
}

/** Whether the observer of `promise` sees its response before parsing ({@link ApiPromiseObserver.onResponse}). */
export function observesResponses(promise: unknown): boolean {
  return (promise as { parseResponse?: unknown }).parseResponse === observedParseResponse;
}

/**
 * What an observed instance's `parseResponse` points at: one function for every call (an own closure per instance
 * would be one more allocation, and openai 7 keeps closures assigned to its promises alive through young
 * collections). The SDK calls it as `this.parseResponse(client, props)` on the observed instance, also from the
 * promises derived from it.
 */
function observedParseResponse(this: object, client: unknown, props: unknown): unknown {
  const call = observedCallOf(this);
  const sdkParseResponse = call?.sdkParseResponse;
  // Only reachable through an instance observeApiPromise pointed here, which keeps the SDK's function.
  if (call === undefined || sdkParseResponse === undefined) throw new TypeError("@telltale/instrumentation-common: the SDK's parseResponse was not found");
  call.responded(props);
  return sdkParseResponse.call(this, client, props);
}

/**
 * Keeps the prototype patches in place while `holder` (an enabled instrumentation) needs them; once every holder
 * has released them, they are undone. Patching itself is lazy: the first observed instance of a class patches it.
 */
export function retainApiPromisePatches(holder: object): void {
  patchHolders.add(holder);
}

/** See {@link retainApiPromisePatches}. Undoes the patches when no holder is left. */
export function releaseApiPromisePatches(holder: object): void {
  patchHolders.delete(holder);
  if (patchHolders.size > 0) return;
  for (const { owner, name, original, patched } of patches.splice(0)) {
    // Someone wrapped our method since: putting the original back would drop theirs. Ours stays, passing through.
    if (owner[name] === patched) owner[name] = original;
    patchedOwners.delete(owner);
  }
}

function ensurePatched(promise: StainlessApiPromise): boolean {
  if (isPatched(promise.parse)) return true;
  const owner = findMethodOwner(promise, "parse");
  if (owner === undefined || owner === promise) return false;
  // Patched already, with another library's wrapper on top of ours.
  if (patchedOwners.has(owner)) return true;
  patchedOwners.add(owner);
  patchMethod(owner, "parse", observedParse);
  const asResponseOwner = findMethodOwner(promise, "asResponse");
  if (asResponseOwner !== undefined && asResponseOwner !== promise) patchMethod(asResponseOwner, "asResponse", observedAsResponse);
  return true;
}

function patchMethod(owner: object, name: string, wrap: (original: PromiseMethod) => PromiseMethod): void {
  const target = owner as Record<string, unknown>;
  const original = target[name] as PromiseMethod;
  if (isPatched(original)) return;
  const patched = wrap(original);
  Object.defineProperty(patched, PATCHED, { value: true });
  // The prototype's own property keeps its attributes (class methods are non-enumerable).
  const descriptor = Object.getOwnPropertyDescriptor(owner, name);
  Object.defineProperty(owner, name, { ...descriptor, value: patched });
  patches.push({ owner: target, name, original, patched });
}

function observedParse(original: PromiseMethod): PromiseMethod {
  return function parse(this: object): unknown {
    const call = observedCallOf(this);
    if (call === undefined || call.settled) return original.call(this);
    call.parseRequested = true;
    const parsing = original.call(this) as Promise<unknown>;
    call.hook(parsing);
    return parsing;
  };
}

function observedAsResponse(original: PromiseMethod): PromiseMethod {
  return function asResponse(this: object): unknown {
    const raw = original.call(this) as Promise<unknown>;
    const call = observedCallOf(this);
    if (call === undefined || call.settled) return raw;
    // A separate branch: the user's promise keeps its own (un)handled-rejection behaviour.
    raw.then(
      (response) => call.settleRaw(response),
      (error: unknown) => {
        if (!call.parseRequested) call.settleError(error);
      },
    );
    return raw;
  };
}
