/**
 * Per-attempt tracking for Stainless-generated SDK clients (`openai`, `@anthropic-ai/sdk`).
 *
 * Those clients run every HTTP attempt of one API call through one prototype method (`fetchWithTimeout`), inside
 * their own retry loop. The instrumentation binds an {@link AttemptRecorder} (core's `LlmCall`) into the context
 * the SDK call runs in; the patched per-attempt method finds it in the active context and reports each attempt:
 * its status code or error, how long the client waited before it (backoff or `retry-after`) and how long it took.
 *
 * The first attempt, the only one of almost every call, is followed without a promise reaction of its own: the
 * SDK's next step ends it. A failed status reaches the client's `shouldRetry(response)`, a failure without a
 * response its `retryRequest` (or the call's own error), and a response it parses the `APIPromise` observation
 * ({@link AttemptTracking.responded}). Later attempts, after a retry, each get a reaction on their promise, which
 * also sees what none of those steps does (a retry from inside openai 7's body parsing).
 */
import { context, type Context, type DiagLogger } from "@opentelemetry/api";
import { bindContextValue } from "@telltale/core/instrumentation";
import { COMMON_DIAG } from "./diag.js";

/** One HTTP attempt inside one SDK call, as `LlmCall.recordAttempt` takes it. */
export interface AttemptRecord {
  /** The HTTP status of the response; absent when no response arrived (connection error, timeout, abort). */
  statusCode?: number;
  /** The error the attempt failed with when no response arrived. */
  error?: unknown;
  /** Milliseconds between the end of the previous attempt and the start of this one (0 for the first). */
  waitMs: number;
  /** Milliseconds from sending the request to receiving the response headers (or the failure). */
  durationMs?: number;
}

/** Receives the attempts of one call. `LlmCall` from `@telltale/core` satisfies it. */
export interface AttemptRecorder {
  recordAttempt(attempt: AttemptRecord): void;
}

interface AttemptTracker {
  readonly recorder: AttemptRecorder;
  /** Where a throwing recorder is reported. */
  readonly diag: DiagLogger;
  /** The call's context with this tracker bound. */
  readonly context: Context;
  /** When the previous attempt ended (performance.now()), undefined before the first attempt. */
  previousEnd: number | undefined;
  count: number;
  /** A failed-status attempt whose error is not known yet: the next attempt or the call's own error decides. */
  pending: AttemptRecord | undefined;
  /** The first attempt while it is under way without a promise reaction: the SDK's next step ends it. */
  open: Attempt | undefined;
  /** The call's response is seen before it is parsed ({@link AttemptTracking.responded}). */
  seesResponses: boolean;
  settled: boolean;
  /** The request options {@link markCallOptions} pointed at this tracker, until the call settles. */
  taggedOptions: TaggableOptions | undefined;
}

/** The attempts of one SDK call; see {@link trackAttempts}. */
export interface AttemptTracking {
  /** The context to run the SDK call in: the patched per-attempt method finds the tracker there. */
  readonly context: Context;
  /** How many attempts started so far. */
  readonly count: number;
  /**
   * The call's result is observed where the SDK receives its response, before parsing it: the first attempt can
   * then go without a promise reaction of its own. Call it before the SDK sends its request.
   */
  seeResponses(): void;
  /** The SDK received `response` (a fetch `Response`) and is about to parse it: ends the first attempt with its
   * status if it is still under way. */
  responded(response: unknown): void;
  /**
   * Reports the last attempt if it is still pending (a 4xx/5xx response or a failure the SDK did not retry), with
   * the error the call failed with, so that it carries the provider's error code or the SDK's error class rather
   * than only a status or a raw fetch failure. Call it once when
   * the call ends, before ending the span. Later attempts are ignored.
   */
  settle(finalError?: unknown): void;
}

// Symbol.for: the ESM and CJS copies of this package must find the same tracker in a context, and on request options.
const ATTEMPT_TRACKER_KEY = Symbol.for("telltale.instrumentation-common.attempt_tracker");
const OPTIONS_TRACKER_KEY = Symbol.for("telltale.instrumentation-common.options_attempt_tracker");

/**
 * Starts tracking the attempts of one SDK call for `recorder` (core's `LlmCall`). Run the SDK call inside
 * `context.with(tracking.context, …)`, where `ctx` is usually `call.context`. A throwing recorder is reported to
 * `logger` (the instrumentation's own).
 */
export function trackAttempts(ctx: Context, recorder: AttemptRecorder, logger: DiagLogger = COMMON_DIAG): AttemptTracking {
  return new Tracking(ctx, recorder, logger);
}

// A class rather than an object literal: no getter and method closures allocated on every SDK call. It is its own
// tracker, so tracking a call allocates one object and one small context in front of the call's (core's
// bindContextValue: no copy of the parent's map). Contexts derived from it keep the tracker.
class Tracking implements AttemptTracking, AttemptTracker {
  readonly context: Context;
  previousEnd: number | undefined = undefined;
  count = 0;
  pending: AttemptRecord | undefined = undefined;
  open: Attempt | undefined = undefined;
  seesResponses = false;
  settled = false;
  taggedOptions: TaggableOptions | undefined = undefined;

  constructor(
    ctx: Context,
    readonly recorder: AttemptRecorder,
    readonly diag: DiagLogger,
  ) {
    this.context = bindContextValue(ctx, ATTEMPT_TRACKER_KEY, this);
  }

  seeResponses(): void {
    this.seesResponses = true;
  }

  responded(response: unknown): void {
    if (this.open !== undefined) endOpenAttempt(this, statusOf(response), undefined);
  }

  settle(finalError?: unknown): void {
    if (this.settled) return;
    // A first attempt still under way ends with the call: its failure is the call's error (a connection error, a
    // timeout, an abort the SDK did not retry).
    endOpenAttempt(this, undefined, finalError);
    this.settled = true;
    // The SDK's options object outlives the call (openai 7 keeps every APIPromise, and what it reaches, through
    // young collections): pointing it at the tracker any longer would keep the call's span and attempts alive too.
    const tagged = this.taggedOptions;
    if (tagged !== undefined) {
      tagged[OPTIONS_TRACKER_KEY] = undefined;
      this.taggedOptions = undefined;
    }
    const pending = this.pending;
    this.pending = undefined;
    if (pending === undefined) return;
    if (pending.statusCode !== undefined) {
      report(this, { ...pending, error: errorForStatus(pending.statusCode, finalError) });
    } else {
      // No response: the SDK's own error (APIConnectionError, APIConnectionTimeoutError, APIUserAbortError) says
      // more than the raw fetch failure it wraps.
      report(this, { ...pending, error: finalError ?? pending.error });
    }
  }
}

/** Ends the first attempt if it is still under way without a promise reaction (see the module comment). */
function endOpenAttempt(tracker: AttemptTracker, statusCode: number | undefined, error: unknown): void {
  const open = tracker.open;
  if (open === undefined) return;
  tracker.open = undefined;
  open.finish(statusCode, error);
}

/** An SDK client method, and the wrappers that replace it (shimmer / `InstrumentationBase._wrap`). */
type SdkMethod<This, Args extends unknown[], Result> = (this: This, ...args: Args) => Result;

/** The tracker of the call the active context belongs to, if any. */
function activeTracker(): AttemptTracker | undefined {
  return context.active().getValue(ATTEMPT_TRACKER_KEY) as AttemptTracker | undefined;
}

/** What a failed-status attempt is classified by: the SDK's own error when it is about that status. */
function errorForStatus(statusCode: number | undefined, finalError: unknown): unknown {
  const finalStatus =
    typeof finalError === "object" && finalError !== null ? (finalError as { status?: unknown }).status : undefined;
  if (finalError !== undefined && finalStatus === statusCode) return finalError;
  // A minimal HTTP-error shape that core's classifyError maps by status (429 rate_limit, 5xx server_error …).
  return { status: statusCode };
}

function flushPending(tracker: AttemptTracker): void {
  const pending = tracker.pending;
  if (pending === undefined) return;
  tracker.pending = undefined;
  report(tracker, pending.statusCode !== undefined ? { ...pending, error: errorForStatus(pending.statusCode, undefined) } : pending);
}

/** The per-attempt timeout fired (the SDK aborted its own controller) while the caller's signal did not. */
function isSdkTimeout(error: unknown, init: unknown): boolean {
  const name = typeof error === "object" && error !== null ? (error as { name?: unknown }).name : undefined;
  if (name !== "AbortError") return false;
  const callerSignal = typeof init === "object" && init !== null ? (init as { signal?: unknown }).signal : undefined;
  return !(callerSignal instanceof AbortSignal && callerSignal.aborted);
}

/** A minimal error shape core's classifyError maps to `timeout`, wrapping the raw abort. */
function timeoutError(cause: unknown): { name: string; message: string; cause: unknown } {
  return { name: "TimeoutError", message: "the SDK's request timeout fired", cause };
}

/** What a first attempt the SDK retried without a response failed with, as core's classifyError maps it. */
function failureBeforeResponse(controller: unknown): { name: string; message: string } {
  // The SDK retries an abort only when its own timeout fired (it throws a caller's abort at once).
  const signal = typeof controller === "object" && controller !== null ? (controller as { signal?: unknown }).signal : undefined;
  if (signal instanceof AbortSignal && signal.aborted) return timeoutError(undefined);
  return { name: "APIConnectionError", message: "the request failed before a response" };
}

function report(tracker: AttemptTracker, attempt: AttemptRecord): void {
  try {
    tracker.recorder.recordAttempt(attempt);
  } catch (err) {
    tracker.diag.error("recording an SDK attempt failed", err);
  }
}

function statusOf(response: unknown): number | undefined {
  // No `"status" in response` first: on a fetch `Response` (a getter on its prototype) the `in` walk costs more than
  // the read itself.
  if (typeof response !== "object" || response === null) return undefined;
  const status = (response as { status?: unknown }).status;
  return typeof status === "number" ? status : undefined;
}

/**
 * Builds the replacement for a Stainless client's per-attempt method (`fetchWithTimeout(url, init, ms, controller)`),
 * for shimmer / `InstrumentationBase._wrap`: `this._wrap(Client.prototype, "fetchWithTimeout", trackStainlessAttempts)`.
 * Calls outside a tracked call go straight to the original. The response and errors pass through untouched.
 * `sdkEndsFirstAttempt`: the client's `shouldRetry` and `retryRequest` are patched too ({@link endAttemptOnStatus},
 * {@link trackRetries}), so that a first attempt needs no promise reaction.
 */
export function trackStainlessAttempts<This, Args extends unknown[], Result>(
  original: SdkMethod<This, Args, Result>,
  sdkEndsFirstAttempt = false,
): SdkMethod<This, Args, Result> {
  return function (this: This, ...args: Args): Result {
    const tracker = activeTracker();
    if (tracker === undefined || tracker.settled) return original.apply(this, args);
    // A first attempt the SDK moved past without any of the steps that end it (openai 7 replays a request after
    // refreshing a workload identity token): what it got is not known.
    if (tracker.open !== undefined) {
      endOpenAttempt(tracker, undefined, { name: "UnknownOutcome", message: "the SDK moved on to another attempt" });
    }
    // A new attempt means the previous failed-status one was retried: its status is all there is to know.
    flushPending(tracker);
    const attempt = new Attempt(tracker, args[1], args[3]);
    let pending: Result;
    try {
      pending = original.apply(this, args);
    } catch (err) {
      attempt.onFailure(err);
      throw err;
    }
    if (!isThenable(pending)) {
      attempt.finish(undefined, undefined);
      return pending;
    }
    if (sdkEndsFirstAttempt && tracker.count === 1 && tracker.seesResponses) {
      tracker.open = attempt;
      return pending;
    }
    if (pending instanceof Promise) {
      // A side branch, and the SDK awaits its own promise: one promise and one microtask fewer per attempt. This
      // branch was registered first, so the attempt is recorded before the SDK's retry loop sees the outcome, and
      // it handles the rejection only for itself (the SDK still gets the error from its own promise).
      pending.then(
        (response: unknown) => attempt.onResponse(response),
        (err: unknown) => attempt.onFailure(err),
      );
      return pending;
    }
    return pending.then(
      (response) => {
        attempt.onResponse(response);
        return response;
      },
      (err: unknown) => {
        attempt.onFailure(err);
        throw err;
      },
    ) as Result;
  };
}

/** One HTTP attempt under way. */
class Attempt {
  private readonly startedAt = performance.now();
  private readonly waitMs: number;

  constructor(
    private readonly tracker: AttemptTracker,
    private readonly init: unknown,
    /** The SDK's per-attempt `AbortController`: aborted when its timeout fired. */
    readonly controller: unknown,
  ) {
    const previousEnd = tracker.previousEnd;
    this.waitMs = previousEnd === undefined ? 0 : Math.max(0, Math.round(this.startedAt - previousEnd));
    tracker.count += 1;
  }

  onResponse(response: unknown): void {
    this.finish(statusOf(response), undefined);
  }

  onFailure(err: unknown): void {
    this.finish(undefined, isSdkTimeout(err, this.init) ? timeoutError(err) : err);
  }

  finish(statusCode: number | undefined, error: unknown): void {
    const tracker = this.tracker;
    const endedAt = performance.now();
    tracker.previousEnd = endedAt;
    if (tracker.settled) return;
    const record: AttemptRecord = { waitMs: this.waitMs, durationMs: Math.round(endedAt - this.startedAt) };
    if (statusCode !== undefined) record.statusCode = statusCode;
    if (error !== undefined) record.error = error;
    // Failed attempts wait for what comes next (a retry, or the SDK's own error) to be classified precisely.
    if (error !== undefined || (statusCode !== undefined && statusCode >= 400)) tracker.pending = record;
    else report(tracker, record);
  }
}

type TaggableOptions = object & { [OPTIONS_TRACKER_KEY]?: AttemptTracker };

/**
 * Builds the replacement for a Stainless client's `buildRequest(options, …)`: inside a tracked call it marks the
 * call's request options with the call's tracker, so that {@link trackRetries} can find the call again.
 * The SDK keeps that same options object for the whole call (it is `props.options` while the body is parsed). The
 * mark is taken off when the call settles.
 */
export function markCallOptions<This, Args extends unknown[], Result>(
  original: SdkMethod<This, Args, Result>,
): SdkMethod<This, Args, Result> {
  return function (this: This, ...args: Args): Result {
    const options = args[0];
    if (typeof options === "object" && options !== null) {
      const tracker = activeTracker();
      // A plain assignment: the options object is the SDK's own per-call copy, and a defineProperty per call costs
      // far more.
      if (tracker !== undefined && !tracker.settled) {
        (options as TaggableOptions)[OPTIONS_TRACKER_KEY] = tracker;
        tracker.taggedOptions = options;
      }
    }
    return original.apply(this, args);
  };
}

/**
 * Builds the replacement for a Stainless client's `shouldRetry(response)`, which the client asks about every failed
 * status: it ends a first attempt under way with that status.
 */
export function endAttemptOnStatus<This, Args extends unknown[], Result>(
  original: SdkMethod<This, Args, Result>,
): SdkMethod<This, Args, Result> {
  return function (this: This, ...args: Args): Result {
    const tracker = activeTracker();
    if (tracker !== undefined) endOpenAttempt(tracker, statusOf(args[0]), undefined);
    return original.apply(this, args);
  };
}

/**
 * Builds the replacement for a Stainless client's `retryRequest(options, …)`.
 *
 * A first attempt still under way when the client retries failed without a response (a failed status went through
 * `shouldRetry` first): it ends here, as a timeout when the SDK's own timeout aborted it, else as a connection error.
 *
 * openai 7 also retries a stalled response body from inside `parse()`, which runs in whatever context the user
 * awaits in, not the call's: such a retry runs in the context of the call its options belong to
 * ({@link markCallOptions}), so its attempts reach the call. Running every `parse()` in the call's context instead
 * put a `context.with` on every openai 7 call; this costs nothing unless the SDK retries.
 */
export function trackRetries<This, Args extends unknown[], Result>(
  original: SdkMethod<This, Args, Result>,
): SdkMethod<This, Args, Result> {
  return function (this: This, ...args: Args): Result {
    const active = activeTracker();
    if (active !== undefined) {
      const open = active.open;
      if (open !== undefined) endOpenAttempt(active, undefined, failureBeforeResponse(open.controller));
      return original.apply(this, args);
    }
    const options = args[0];
    const tracker = typeof options === "object" && options !== null ? (options as TaggableOptions)[OPTIONS_TRACKER_KEY] : undefined;
    if (tracker === undefined || tracker.settled) return original.apply(this, args);
    return context.with(tracker.context, original, this, ...args);
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
