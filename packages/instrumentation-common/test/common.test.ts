// Unit tests of the shared pieces against SDK-shaped fakes: attempt tracking, the APIPromise and Stream observers
// (exactly-once endings, identical results and errors for the consumer), and content capture settings.
import { context, createContextKey } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { CAPTURE_MESSAGE_CONTENT_ENV, findMethodOwner, resolveContentCapture } from "@telltale/instrumentation-common";
// What only the package itself uses, reached through its source.
import { observeApiPromise } from "../src/api-promise.js";
import { endAttemptOnStatus, trackAttempts, trackRetries, trackStainlessAttempts, type AttemptRecord } from "../src/attempts.js";
import { DEFAULT_CONTENT_MAX_LENGTH, REDACTION_FAILED } from "../src/content.js";
import { isStainlessStream, observeStream, type StreamEnd } from "../src/stream.js";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

// ---------------------------------------------------------------------------------------------------------------
// Attempts
// ---------------------------------------------------------------------------------------------------------------

/** A Stainless-like client: `request` runs a retry loop that calls `fetchWithTimeout` once per attempt. */
class FakeClient {
  constructor(private readonly answers: Array<number | Error>) {}
  async fetchWithTimeout(_url: string, _init: { signal?: AbortSignal }): Promise<{ status: number }> {
    const next = this.answers.shift();
    if (next === undefined) throw new Error("no more answers");
    if (next instanceof Error) throw next;
    return { status: next };
  }
  async request(): Promise<{ status: number }> {
    for (;;) {
      try {
        const response = await this.fetchWithTimeout("http://x", {});
        if (response.status < 400 || this.answers.length === 0) return response;
      } catch (err) {
        if (this.answers.length === 0) throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}
FakeClient.prototype.fetchWithTimeout = trackStainlessAttempts(FakeClient.prototype.fetchWithTimeout);

function recorder(): { records: AttemptRecord[]; recordAttempt(a: AttemptRecord): void } {
  const records: AttemptRecord[] = [];
  return { records, recordAttempt: (a) => records.push(a) };
}

describe("attempt tracking", () => {
  it("reports each attempt with status, wait and duration; a retried failed status is classified by status", async () => {
    const rec = recorder();
    const tracking = trackAttempts(context.active(), rec);
    const response = await context.with(tracking.context, () => new FakeClient([429, 503, 200]).request());
    tracking.settle();
    expect(response.status).toBe(200);
    expect(tracking.count).toBe(3);
    expect(rec.records.map((r) => r.statusCode)).toEqual([429, 503, 200]);
    expect(rec.records.map((r) => r.error)).toEqual([{ status: 429 }, { status: 503 }, undefined]);
    expect(rec.records[0]?.waitMs).toBe(0);
    expect(rec.records[1]?.waitMs).toBeGreaterThanOrEqual(4);
    expect(rec.records.every((r) => typeof r.durationMs === "number")).toBe(true);
  });

  it("the last failed attempt waits for settle() and takes the SDK's own error when it is about the same status", async () => {
    const rec = recorder();
    const tracking = trackAttempts(context.active(), rec);
    await context.with(tracking.context, () => new FakeClient([400]).request());
    expect(rec.records).toHaveLength(0);
    const sdkError = Object.assign(new Error("context too long"), { status: 400, code: "context_length_exceeded" });
    tracking.settle(sdkError);
    tracking.settle(new Error("ignored: settle is once"));
    expect(rec.records).toHaveLength(1);
    expect(rec.records[0]?.error).toBe(sdkError);
  });

  it("a failure without response is reported with the SDK's wrapping error when the call fails", async () => {
    const rec = recorder();
    const tracking = trackAttempts(context.active(), rec);
    const raw = new TypeError("fetch failed");
    await context.with(tracking.context, () => new FakeClient([raw]).request()).catch(() => undefined);
    const wrapped = Object.assign(new Error("Connection error."), { name: "APIConnectionError" });
    tracking.settle(wrapped);
    expect(rec.records).toEqual([expect.objectContaining({ error: wrapped, waitMs: 0 })]);
  });

  it("an AbortError the caller did not ask for is the SDK's timeout", async () => {
    const rec = recorder();
    const tracking = trackAttempts(context.active(), rec);
    const abort = Object.assign(new Error("aborted"), { name: "AbortError" });
    await context.with(tracking.context, () => new FakeClient([abort, 200]).request());
    expect(rec.records[0]?.error).toMatchObject({ name: "TimeoutError", cause: abort });
    expect(rec.records[1]?.statusCode).toBe(200);
  });

  it("the tracked context keeps the caller's values, and contexts derived from it keep the tracker", async () => {
    const callerKey = createContextKey("caller value");
    const derivedKey = createContextKey("derived value");
    const rec = recorder();
    const tracking = trackAttempts(context.active().setValue(callerKey, "kept"), rec);
    expect(tracking.context.getValue(callerKey)).toBe("kept");
    const derived = tracking.context.setValue(derivedKey, 2).deleteValue(callerKey);
    expect(derived.getValue(derivedKey)).toBe(2);
    expect(derived.getValue(callerKey)).toBeUndefined();
    await context.with(derived, () => new FakeClient([201]).request());
    expect(rec.records.map((r) => r.statusCode)).toEqual([201]);
  });

  it("outside a tracked call the original runs untouched", async () => {
    const fake = new FakeClient([201]);
    await expect(fake.fetchWithTimeout("http://x", {})).resolves.toEqual({ status: 201 });
  });

  it("findMethodOwner finds the prototype that defines a method", () => {
    class Base {
      m(): number {
        return 1;
      }
    }
    class Derived extends Base {}
    expect(findMethodOwner(new Derived(), "m")).toBe(Base.prototype);
    expect(findMethodOwner(new Derived(), "missing")).toBeUndefined();
  });
});

/**
 * A Stainless-like client whose own steps end an attempt, as openai's and Anthropic's do: `shouldRetry(response)` for
 * a failed status, `retryRequest(options, …)` after a failure without a response. Answers: a status, an error, or
 * "timeout" (the client's own timer aborts its controller).
 */
class SdkStepsClient {
  constructor(private readonly answers: Array<number | Error | "timeout">) {}
  async fetchWithTimeout(_url: string, _init: object, _ms: number, controller: AbortController): Promise<{ status: number }> {
    const next = this.answers.shift();
    if (next === undefined) throw new Error("no more answers");
    if (next === "timeout") {
      controller.abort();
      throw Object.assign(new Error("aborted"), { name: "AbortError" });
    }
    if (next instanceof Error) throw next;
    return { status: next };
  }
  async shouldRetry(response: { status: number }): Promise<boolean> {
    return response.status === 429 || response.status >= 500;
  }
  async retryRequest(options: object, retriesRemaining: number): Promise<{ status: number }> {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return this.makeRequest(options, retriesRemaining - 1);
  }
  async makeRequest(options: object, retriesRemaining: number): Promise<{ status: number }> {
    await Promise.resolve(options);
    let response: { status: number };
    try {
      response = await this.fetchWithTimeout("http://x", {}, 1000, new AbortController());
    } catch (err) {
      if (retriesRemaining > 0) return this.retryRequest(options, retriesRemaining);
      throw err;
    }
    if (response.status >= 400) {
      if (retriesRemaining > 0 && (await this.shouldRetry(response))) return this.retryRequest(options, retriesRemaining);
      throw Object.assign(new Error(`status ${response.status}`), { status: response.status });
    }
    return response;
  }
}
SdkStepsClient.prototype.fetchWithTimeout = trackStainlessAttempts(SdkStepsClient.prototype.fetchWithTimeout, true);
SdkStepsClient.prototype.shouldRetry = endAttemptOnStatus(SdkStepsClient.prototype.shouldRetry);
SdkStepsClient.prototype.retryRequest = trackRetries(SdkStepsClient.prototype.retryRequest);

describe("a first attempt without a promise reaction (the client's own steps end it)", () => {
  const run = async (answers: Array<number | Error | "timeout">, seeResponses = true) => {
    const rec = recorder();
    const tracking = trackAttempts(context.active(), rec);
    if (seeResponses) tracking.seeResponses();
    const outcome = await context
      .with(tracking.context, () => new SdkStepsClient(answers).makeRequest({}, 2))
      .then((response) => ({ response, error: undefined }), (error: unknown) => ({ response: undefined, error }));
    return { rec, tracking, ...outcome };
  };

  it("a response ends it when the observation reports it (responded), not when its promise settles", async () => {
    const { rec, tracking, response } = await run([201]);
    expect(response).toEqual({ status: 201 });
    // No reaction of its own: nothing is recorded until the response is reported.
    expect(rec.records).toHaveLength(0);
    tracking.responded({ status: 201 });
    tracking.responded({ status: 500 });
    expect(rec.records).toEqual([{ statusCode: 201, waitMs: 0, durationMs: expect.any(Number) }]);
    tracking.settle();
    expect(rec.records).toHaveLength(1);
  });

  it("without seeResponses() every attempt keeps its own reaction", async () => {
    const { rec } = await run([201], false);
    expect(rec.records).toEqual([{ statusCode: 201, waitMs: 0, durationMs: expect.any(Number) }]);
  });

  it("shouldRetry ends it with the failed status; the retry's attempt is recorded as before", async () => {
    const { rec, tracking } = await run([429, 200]);
    tracking.settle();
    expect(rec.records.map((r) => r.statusCode)).toEqual([429, 200]);
    expect(rec.records[0]?.error).toEqual({ status: 429 });
    expect(rec.records[1]?.waitMs).toBeGreaterThanOrEqual(4);
  });

  it("retryRequest ends it as a connection error, or as a timeout when the client's own timer aborted it", async () => {
    const connection = await run([new TypeError("fetch failed"), 200]);
    connection.tracking.settle();
    expect(connection.rec.records.map((r) => r.statusCode)).toEqual([undefined, 200]);
    expect(connection.rec.records[0]?.error).toMatchObject({ name: "APIConnectionError" });

    const timeout = await run(["timeout", 200]);
    timeout.tracking.settle();
    expect(timeout.rec.records[0]?.error).toMatchObject({ name: "TimeoutError" });
    expect(timeout.rec.records[1]?.statusCode).toBe(200);
  });

  it("a failure the client does not retry ends it with the call's own error at settle", async () => {
    const raw = new TypeError("fetch failed");
    const { rec, tracking, error } = await run([raw, raw, raw]);
    expect(error).toBe(raw);
    const wrapped = Object.assign(new Error("Connection error."), { name: "APIConnectionError" });
    tracking.settle(wrapped);
    // The first two were retried (ended by retryRequest), the last one ends with the call.
    expect(rec.records.map((r) => (r.error as { name?: string }).name)).toEqual(["APIConnectionError", "TypeError", "APIConnectionError"]);
    expect(rec.records[2]?.error).toBe(wrapped);
  });

  it("a failed status the client does not retry waits for the call's own error", async () => {
    const { rec, tracking } = await run([400]);
    expect(rec.records).toHaveLength(0);
    const sdkError = Object.assign(new Error("bad request"), { status: 400 });
    tracking.settle(sdkError);
    expect(rec.records).toEqual([{ statusCode: 400, error: sdkError, waitMs: 0, durationMs: expect.any(Number) }]);
  });
});


// ---------------------------------------------------------------------------------------------------------------
// Streams
// ---------------------------------------------------------------------------------------------------------------

/** A Stainless-like Stream: consumption goes through `this.iterator()`; the source aborts on early exit. */
class FakeStream<T> {
  readonly controller = new AbortController();
  iterator: () => AsyncIterator<T>;
  constructor(items: T[], failAfter?: { index: number; error: unknown }) {
    const controller = this.controller;
    this.iterator = async function* source(): AsyncGenerator<T> {
      let done = false;
      try {
        for (const [index, item] of items.entries()) {
          if (failAfter && index === failAfter.index) throw failAfter.error;
          if (controller.signal.aborted) return;
          yield item;
        }
        done = true;
      } finally {
        if (!done) controller.abort();
      }
    };
  }
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.iterator();
  }
}

function watch<T>(stream: FakeStream<T>): { chunks: T[]; ends: StreamEnd[] } {
  const seen = { chunks: [] as T[], ends: [] as StreamEnd[] };
  observeStream(stream, { onChunk: (c) => seen.chunks.push(c), onEnd: (e) => seen.ends.push(e) });
  return seen;
}

describe("observeStream", () => {
  it("completed: every chunk, then one end; the consumer gets the same chunks", async () => {
    const stream = new FakeStream([1, 2, 3]);
    expect(isStainlessStream(stream)).toBe(true);
    const seen = watch(stream);
    const got: number[] = [];
    for await (const n of stream) got.push(n);
    expect(got).toEqual([1, 2, 3]);
    expect(seen.chunks).toEqual([1, 2, 3]);
    expect(seen.ends).toEqual([{ kind: "completed" }]);
  });

  it("break: one 'stopped' end, even though the source aborts its controller while closing", async () => {
    const stream = new FakeStream([1, 2, 3]);
    const seen = watch(stream);
    for await (const _ of stream) break;
    expect(stream.controller.signal.aborted).toBe(true);
    expect(seen.ends).toEqual([{ kind: "stopped" }]);
  });

  it("error: the consumer gets the very same error object; one 'error' end", async () => {
    const failure = new Error("cut");
    const stream = new FakeStream([1, 2, 3], { index: 1, error: failure });
    const seen = watch(stream);
    const caught = await (async () => {
      for await (const _ of stream) {
        // read on
      }
    })().catch((err: unknown) => err);
    expect(caught).toBe(failure);
    expect(seen.ends).toEqual([{ kind: "error", error: failure }]);
  });

  it("abort while nobody reads ends at once; later reads change nothing", async () => {
    const stream = new FakeStream([1, 2, 3]);
    const seen = watch(stream);
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    stream.controller.abort();
    expect(seen.ends).toHaveLength(1);
    expect(seen.ends[0]?.kind).toBe("aborted");
    await iterator.next();
    expect(seen.ends).toHaveLength(1);
    expect(seen.chunks).toEqual([1]);
  });

  it("a stream nobody reads to the end and nobody holds any more ends as 'abandoned'", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const ends: StreamEnd[] = [];
    (() => {
      const stream = new FakeStream([1, 2]);
      observeStream(stream, { onChunk: () => undefined, onEnd: (e) => ends.push(e) });
    })();
    for (let round = 0; round < 100 && ends.length === 0; round += 1) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(ends).toEqual([{ kind: "abandoned" }]);
  });

  it("a throwing observer never reaches the consumer, and observing twice observes once", async () => {
    const stream = new FakeStream(["a", "b"]);
    const ends: StreamEnd[] = [];
    observeStream(stream, {
      onChunk: () => {
        throw new Error("observer bug");
      },
      onEnd: (e) => ends.push(e),
    });
    const ownKeys = Reflect.ownKeys(stream);
    observeStream(stream, { onChunk: () => undefined, onEnd: (e) => ends.push(e) });
    const got: string[] = [];
    for await (const s of stream) got.push(s);
    expect(got).toEqual(["a", "b"]);
    expect(ends).toEqual([{ kind: "completed" }]);
    // The SDK's object keeps its own keys: the mark sits on the iterator function.
    expect(Reflect.ownKeys(stream)).toEqual(ownKeys);
  });

  it("passes next() on with exactly the arguments the consumer gave", async () => {
    const calls: unknown[][] = [];
    const stream = {
      iterator: (): AsyncIterator<number> => ({
        next: (...args: unknown[]) => {
          calls.push(args);
          return Promise.resolve({ done: calls.length > 2, value: calls.length } as IteratorResult<number>);
        },
      }),
      [Symbol.asyncIterator]() {
        return this.iterator();
      },
    };
    const chunks: number[] = [];
    observeStream(stream, { onChunk: (chunk) => chunks.push(chunk), onEnd: () => undefined });
    const iterator = stream.iterator();
    await iterator.next();
    await iterator.next("sent");
    await iterator.next(undefined);
    expect(calls).toEqual([[], ["sent"], [undefined]]);
    expect(chunks).toEqual([1, 2]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// APIPromise
// ---------------------------------------------------------------------------------------------------------------

/** Shaped like openai 5/6's APIPromise: parse() memoized, then/catch through parse, asResponse, _thenUnwrap. */
class FakeApiPromise<T> extends Promise<T> {
  private parsed: Promise<T> | undefined;
  constructor(
    readonly responsePromise: Promise<{ response: { status: number }; body: unknown }>,
    private readonly parseResponse: (props: { body: unknown }) => Promise<T>,
  ) {
    super((resolve) => resolve(null as T));
  }
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }
  parse(): Promise<T> {
    this.parsed ??= this.responsePromise.then((props) => this.parseResponse(props));
    return this.parsed;
  }
  asResponse(): Promise<{ status: number }> {
    return this.responsePromise.then((p) => p.response);
  }
  async withResponse(): Promise<{ data: T; response: { status: number } }> {
    const [data, response] = await Promise.all([this.parse(), this.asResponse()]);
    return { data, response };
  }
  _thenUnwrap<U>(transform: (value: T) => U): FakeApiPromise<U> {
    return new FakeApiPromise(this.responsePromise, async (props) => transform(await this.parseResponse(props)));
  }
  override then<A = T, B = never>(onOk?: ((v: T) => A | PromiseLike<A>) | null, onErr?: ((e: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.parse().then(onOk, onErr);
  }
}

function fakeCall(outcome: { body: unknown } | { error: unknown }): FakeApiPromise<unknown> {
  const responsePromise =
    "error" in outcome ? Promise.reject(outcome.error) : Promise.resolve({ response: { status: 200 }, body: outcome.body });
  responsePromise.catch(() => undefined);
  return new FakeApiPromise(responsePromise, async (props) => props.body);
}

function observe(promise: unknown): { parsed: unknown[]; errors: unknown[]; raw: unknown[] } {
  const seen = { parsed: [] as unknown[], errors: [] as unknown[], raw: [] as unknown[] };
  expect(
    observeApiPromise(promise, {
      onParsed: (v) => seen.parsed.push(v),
      onError: (e) => seen.errors.push(e),
      onRawResponse: (r) => seen.raw.push(r),
    }),
  ).toBe(true);
  return seen;
}

describe("observeApiPromise", () => {
  it("await: the observer sees the parsed value, the caller gets the same object", async () => {
    const body = { id: "x" };
    const promise = fakeCall({ body });
    const seen = observe(promise);
    expect(await promise).toBe(body);
    expect(await promise).toBe(body);
    expect(seen.parsed).toEqual([body]);
    expect(promise).toBeInstanceOf(FakeApiPromise);
  });

  it("a failure is observed once and the very same error object reaches the caller", async () => {
    const failure = new Error("429");
    const promise = fakeCall({ error: failure });
    const seen = observe(promise);
    await expect(promise).rejects.toBe(failure);
    await expect(promise.withResponse()).rejects.toBe(failure);
    expect(seen.errors).toEqual([failure]);
  });

  it("asResponse() alone: raw response observed; withResponse(): parsed value observed, not the raw one", async () => {
    const raw = fakeCall({ body: 1 });
    const rawSeen = observe(raw);
    expect(await raw.asResponse()).toEqual({ status: 200 });
    await Promise.resolve();
    expect(rawSeen).toEqual({ parsed: [], errors: [], raw: [{ status: 200 }] });

    const both = fakeCall({ body: 2 });
    const bothSeen = observe(both);
    expect(await both.withResponse()).toEqual({ data: 2, response: { status: 200 } });
    expect(bothSeen).toEqual({ parsed: [2], errors: [], raw: [] });
  });

  it("_thenUnwrap-derived promises are observed as the same call", async () => {
    const promise = fakeCall({ body: { n: 1 } });
    const seen = observe(promise);
    const derived = promise._thenUnwrap((v) => ({ wrapped: v }));
    expect(await derived).toEqual({ wrapped: { n: 1 } });
    expect(seen.parsed).toEqual([{ wrapped: { n: 1 } }]);
  });

  it("refuses what is not an APIPromise", () => {
    expect(observeApiPromise(Promise.resolve(1), { onParsed: () => undefined, onError: () => undefined, onRawResponse: () => undefined })).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Content capture
// ---------------------------------------------------------------------------------------------------------------

describe("content capture", () => {
  it("is off by default, on with the env var, and config wins over the env", () => {
    expect(resolveContentCapture({}, {}).enabled).toBe(false);
    expect(resolveContentCapture({}, { [CAPTURE_MESSAGE_CONTENT_ENV]: "TRUE" }).enabled).toBe(true);
    expect(resolveContentCapture({}, { [CAPTURE_MESSAGE_CONTENT_ENV]: "1" }).enabled).toBe(false);
    expect(resolveContentCapture({ captureMessageContent: false }, { [CAPTURE_MESSAGE_CONTENT_ENV]: "true" }).enabled).toBe(false);
    expect(resolveContentCapture({ captureMessageContent: true }, {}).enabled).toBe(true);
  });

  it("redacts, then truncates with a marker; a throwing redactor drops the content", () => {
    const capture = resolveContentCapture({ captureMessageContent: true, contentMaxLength: 8, redact: (t) => t.replace("secret", "***") }, {});
    expect(capture.text("my secret")).toBe("my ***");
    expect(capture.text("0123456789")).toBe("01234567…[truncated 2 chars]");
    const failing = resolveContentCapture({ captureMessageContent: true, redact: () => {
      throw new Error("bug");
    } }, {});
    expect(failing.text("anything")).toBe(REDACTION_FAILED);
    expect(resolveContentCapture({}, {}).text("x".repeat(DEFAULT_CONTENT_MAX_LENGTH))).toHaveLength(DEFAULT_CONTENT_MAX_LENGTH);
  });

  it("serializes GenAI messages with every text part redacted and truncated", () => {
    const capture = resolveContentCapture({ captureMessageContent: true, contentMaxLength: 4 }, {});
    const json = capture.serialize([
      { role: "user", parts: [{ type: "text", content: "hello" }] },
      { role: "assistant", parts: [{ type: "tool_call", id: "c1", name: "get", arguments: '{"a":1}' }], finish_reason: "tool_calls" },
    ]);
    expect(JSON.parse(json)).toEqual([
      { role: "user", parts: [{ type: "text", content: "hell…[truncated 1 chars]" }] },
      { role: "assistant", parts: [{ type: "tool_call", id: "c1", name: "get", arguments: '{"a"…[truncated 3 chars]' }], finish_reason: "tool_calls" },
    ]);
  });
});
