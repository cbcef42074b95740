/**
 * Observes a Stainless `Stream` (the object `create({ stream: true })` resolves to) without replacing it.
 *
 * Every way of consuming such a stream (`for await`, `tee()`, `toReadableStream()`, the SDK's own helpers) goes
 * through the instance's `iterator` function, so the observer swaps that one function on the same object: the
 * consumer keeps the SDK's `Stream` (its class, `controller`, `tee`, `toReadableStream`) and sees exactly the
 * chunks, results and errors it would see without instrumentation.
 */
import { diag } from "@opentelemetry/api";

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
}

/** The part of a Stainless `Stream` the observer relies on. */
export interface StainlessStream<Chunk> {
  iterator: () => AsyncIterator<Chunk>;
  controller?: AbortController;
}

/** True for an object shaped like a Stainless `Stream` (what a streaming create resolves to). */
export function isStainlessStream(value: unknown): value is StainlessStream<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { iterator?: unknown }).iterator === "function" &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function"
  );
}

// Marks a stream already observed (Symbol.for: the ESM and CJS copies of this package must agree).
const OBSERVED = Symbol.for("telltale.instrumentation-common.stream_observed");

// Ends the span of a stream nobody read to the end and nobody holds any more (F15: nothing leaks). The held value
// never references the stream itself, or the stream could not be collected.
const abandonedStreams = new FinalizationRegistry<() => void>((finishAbandoned) => finishAbandoned());

/**
 * Makes `observer` see every chunk and the end of `stream`, then returns the same `stream` object.
 * Calling it twice on the same stream observes it once.
 */
export function observeStream<Chunk, S extends StainlessStream<Chunk>>(stream: S, observer: StreamObserver<Chunk>): S {
  if ((stream as { [OBSERVED]?: boolean })[OBSERVED]) return stream;
  Object.defineProperty(stream, OBSERVED, { value: true, enumerable: false });

  const signal = stream.controller?.signal;
  let ended = false;
  let stopping = false;
  const unregisterToken = {};

  const finish = (end: StreamEnd): void => {
    if (ended) return;
    ended = true;
    abandonedStreams.unregister(unregisterToken);
    signal?.removeEventListener("abort", onAbort);
    try {
      observer.onEnd(end);
    } catch (err) {
      diag.error("telltale: ending a stream span failed", err);
    }
  };
  // An abort ends the span right away: the consumer may never read again after aborting.
  const onAbort = (): void => {
    if (!stopping) finish({ kind: "aborted", error: signal?.reason });
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  abandonedStreams.register(stream, () => finish({ kind: "abandoned" }), unregisterToken);

  const seeChunk = (chunk: Chunk): void => {
    if (ended) return;
    try {
      observer.onChunk(chunk);
    } catch (err) {
      diag.error("telltale: observing a stream chunk failed", err);
    }
  };
  const endedBy = (error: unknown): StreamEnd =>
    signal?.aborted ? { kind: "aborted", error } : { kind: "error", error };

  const originalIterator = stream.iterator;
  stream.iterator = function observedIterator(this: unknown): AsyncIterator<Chunk> {
    const inner = originalIterator.call(this);
    const observed: AsyncIterator<Chunk> & AsyncIterable<Chunk> & { readonly source: S } = {
      // Holding the stream keeps it alive (and its span open) as long as anyone holds this iterator.
      source: stream,
      async next(...args: [] | [unknown]): Promise<IteratorResult<Chunk>> {
        let result: IteratorResult<Chunk>;
        try {
          result = await inner.next(...args);
        } catch (err) {
          finish(endedBy(err));
          throw err;
        }
        if (result.done) finish(signal?.aborted ? { kind: "aborted" } : { kind: "completed" });
        else seeChunk(result.value);
        return result;
      },
      async return(value?: unknown): Promise<IteratorResult<Chunk>> {
        if (!ended) stopping = true;
        try {
          if (typeof inner.return === "function") return await inner.return(value);
          return { done: true, value: value as Chunk };
        } finally {
          finish({ kind: "stopped" });
        }
      },
      async throw(error?: unknown): Promise<IteratorResult<Chunk>> {
        try {
          if (typeof inner.throw === "function") return await inner.throw(error);
          throw error;
        } catch (err) {
          finish(endedBy(err));
          throw err;
        }
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    return observed;
  };
  return stream;
}
