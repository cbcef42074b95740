/**
 * Observes a Stainless `Stream` (the object `create({ stream: true })` resolves to) without replacing it.
 *
 * Every way of consuming such a stream (`for await`, `tee()`, `toReadableStream()`, the SDK's own helpers) goes
 * through the instance's `iterator` function, so the observer swaps that one function on the same object: the
 * consumer keeps the SDK's `Stream` (its class, `controller`, `tee`, `toReadableStream`) and sees exactly the
 * chunks, results and errors it would see without instrumentation.
 */
import type { DiagLogger } from "@opentelemetry/api";
import { COMMON_DIAG } from "./diag.js";

/** How a stream ended. Reported exactly once. */
export type StreamEnd =
  /** The server finished the stream and the consumer read it to the end. */
  | { kind: "completed" }
  /** The request's AbortController was aborted (by the user, a helper or a timeout) before the stream completed. */
  | { kind: "aborted"; error?: unknown }
  /** The consumer stopped reading early (`break`, `return()`, a cancelled readable, both tee branches closed). */
  | { kind: "stopped" }
  /** Reading failed: a cut connection, malformed data, an error event inside the stream. */
  | { kind: "error"; error: unknown }
  /** The stream was garbage-collected without being read to an end. */
  | { kind: "abandoned" };

export interface StreamObserver<Chunk> {
  /** Called for every chunk the consumer receives, before the consumer sees it. Must not throw (it is guarded). */
  onChunk(chunk: Chunk): void;
  /** Called once, when the stream ends in any way. */
  onEnd(end: StreamEnd): void;
  /** Where a throwing callback is reported; this package's own logger when absent. */
  readonly diag?: DiagLogger;
}

/** The part of a Stainless `Stream` the observer relies on. */
export interface StainlessStream<Chunk> {
  iterator: () => AsyncIterator<Chunk>;
  controller?: AbortController;
}

/** An error that means "aborted": the DOM AbortError, the SDKs' APIUserAbortError, or the signal's own reason. */
function isAbortError(error: unknown, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted && error === signal.reason) return true;
  if (typeof error !== "object" || error === null) return false;
  const name = (error as { name?: unknown }).name;
  const constructorName = (error as { constructor?: { name?: unknown } }).constructor?.name;
  return name === "AbortError" || constructorName === "APIUserAbortError";
}

/** The chunk type of a Stainless stream. */
export type ChunkOf<S> = S extends StainlessStream<infer Chunk> ? Chunk : unknown;

/** True for an object shaped like a Stainless `Stream` (what a streaming create resolves to). */
export function isStainlessStream(value: unknown): value is StainlessStream<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { iterator?: unknown }).iterator === "function" &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function"
  );
}

// Marks the iterator of a stream already observed (Symbol.for: the ESM and CJS copies of this package must agree).
const OBSERVED = Symbol.for("telltale.instrumentation-common.stream_observed");

// Ends the span of a stream nobody read to the end and nobody holds any more (F15: nothing leaks). The held value
// never references the stream itself, or the stream could not be collected.
const abandonedStreams = new FinalizationRegistry<() => void>((finishAbandoned) => finishAbandoned());

/**
 * Makes `observer` see every chunk and the end of `stream`, then returns the same `stream` object.
 * Calling it twice on the same stream observes it once.
 */
export function observeStream<S extends StainlessStream<unknown>>(stream: S, observer: StreamObserver<ChunkOf<S>>): S {
  type Chunk = ChunkOf<S>;
  // The mark sits on the iterator function this puts in place, not on the stream: a new property on the SDK's own
  // object costs it a shape change on every call.
  if ((stream.iterator as { [OBSERVED]?: boolean })[OBSERVED] === true) return stream;

  const signal = stream.controller?.signal;
  const watch = new StreamWatch(observer, signal);
  signal?.addEventListener("abort", watch.onAbort, { once: true });
  abandonedStreams.register(stream, watch.onAbandoned, watch);
  const originalIterator = stream.iterator;
  const observedIterator = function observedIterator(this: unknown): AsyncIterator<Chunk> {
    return new ObservedIterator<Chunk, S>(originalIterator.call(this) as AsyncIterator<Chunk>, stream, watch);
  };
  (observedIterator as { [OBSERVED]?: boolean })[OBSERVED] = true;
  stream.iterator = observedIterator;
  return stream;
}

/**
 * What the consumer iterates: the SDK's own iterator, with every read and ending seen by the stream's watch. A class,
 * not an object literal: V8 builds a literal with a computed (symbol) key through a runtime call, about 0.45 µs
 * against 30 ns for an instance (micro-benchmark).
 */
class ObservedIterator<Chunk, S> implements AsyncIterator<Chunk>, AsyncIterable<Chunk> {
  constructor(
    private readonly inner: AsyncIterator<Chunk>,
    /** Holding the stream keeps it alive (and its span open) as long as anyone holds this iterator. */
    readonly source: S,
    private readonly watch: StreamWatch<Chunk>,
  ) {}

  // Not `async`: chaining on the inner promise saves one promise and one microtask per chunk. No rest parameter
  // either (an array per chunk): a value is passed on only when one was given.
  next(value?: unknown): Promise<IteratorResult<Chunk>> {
    const watch = this.watch;
    watch.readsInFlight += 1;
    let reading: PromiseLike<IteratorResult<Chunk>>;
    try {
      reading = arguments.length === 0 ? this.inner.next() : this.inner.next(value);
    } catch (err) {
      watch.readsInFlight -= 1;
      watch.finish(watch.endedBy(err));
      return Promise.reject(err);
    }
    return Promise.resolve(reading).then(watch.onResult, watch.onReadError);
  }

  async return(value?: unknown): Promise<IteratorResult<Chunk>> {
    const watch = this.watch;
    if (!watch.ended) watch.stopping = true;
    try {
      if (typeof this.inner.return === "function") return await this.inner.return(value);
      return { done: true, value: value as Chunk };
    } finally {
      watch.finish({ kind: "stopped" });
    }
  }

  async throw(error?: unknown): Promise<IteratorResult<Chunk>> {
    try {
      if (typeof this.inner.throw === "function") return await this.inner.throw(error);
      throw error;
    } catch (err) {
      this.watch.finish(this.watch.endedBy(err));
      throw err;
    }
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * The ending state of one observed stream. It never references the stream itself: it is what the
 * FinalizationRegistry holds, and anything it held would keep the stream from being collected.
 */
class StreamWatch<Chunk> {
  ended = false;
  stopping = false;
  readsInFlight = 0;

  constructor(
    private readonly observer: StreamObserver<Chunk>,
    private readonly signal: AbortSignal | undefined,
  ) {}

  // An abort while nobody is reading ends the span right away: the consumer may never read again. During a read,
  // the read's own outcome decides (the SDK also aborts its controller while cleaning up after a failed read).
  readonly onAbort = (): void => {
    if (!this.stopping && this.readsInFlight === 0) this.finish({ kind: "aborted", error: this.signal?.reason });
  };

  // Bound once per stream, not per chunk: the observed iterator's `next` chains every read on these two.
  readonly onResult = (result: IteratorResult<Chunk>): IteratorResult<Chunk> => {
    this.readsInFlight -= 1;
    if (result.done) this.finish(this.signal?.aborted ? { kind: "aborted" } : { kind: "completed" });
    else this.seeChunk(result.value);
    return result;
  };

  readonly onReadError = (err: unknown): never => {
    this.readsInFlight -= 1;
    this.finish(this.endedBy(err));
    throw err;
  };

  readonly onAbandoned = (): void => {
    this.finish({ kind: "abandoned" });
  };

  finish(end: StreamEnd): void {
    if (this.ended) return;
    this.ended = true;
    abandonedStreams.unregister(this);
    this.signal?.removeEventListener("abort", this.onAbort);
    try {
      this.observer.onEnd(end);
    } catch (err) {
      (this.observer.diag ?? COMMON_DIAG).error("ending a stream span failed", err);
    }
  }

  seeChunk(chunk: Chunk): void {
    if (this.ended) return;
    try {
      this.observer.onChunk(chunk);
    } catch (err) {
      (this.observer.diag ?? COMMON_DIAG).error("observing a stream chunk failed", err);
    }
  }

  endedBy(error: unknown): StreamEnd {
    return isAbortError(error, this.signal) ? { kind: "aborted", error } : { kind: "error", error };
  }
}
