/**
 * The language model middleware (`wrapLanguageModel({ model, middleware: telltaleMiddleware() })`), for `ai` 5, 6
 * and 7: each `doGenerate` / `doStream` it sees is one attempt of the AI SDK's retry loop. Attempts of one logical
 * call share their prompt (the AI SDK builds the prompt once per step and sends the same array on every retry), so
 * the prompt is what ties them to one LLM call span.
 */
import { context } from "@opentelemetry/api";
import { ModelCall } from "./call.js";
import { isHandled } from "./handled.js";
import { callStartOf } from "./request.js";
import { runScopeOf } from "./run-scope.js";
import { aiSdkTracer } from "./tracer.js";
import { AI_SDK_DIAG } from "./diag.js";

/** The part of the AI SDK's call options the middleware reads. */
export interface ModelCallParams {
  readonly prompt?: unknown;
  readonly abortSignal?: AbortSignal | undefined;
  readonly maxOutputTokens?: number | undefined;
  readonly temperature?: number | undefined;
  readonly includeRawChunks?: boolean | undefined;
}

/** The part of an AI SDK language model the middleware reads. */
export interface ModelIdentity {
  readonly provider: string;
  readonly modelId: string;
}

/**
 * A language model middleware, structurally compatible with `LanguageModelMiddleware` of `ai` 5 (V2), 6 (V3) and
 * 7 (which accepts V3 middleware).
 */
export interface TelltaleLanguageModelMiddleware {
  readonly specificationVersion: "v3";
  transformParams<P extends ModelCallParams>(options: { type: "generate" | "stream"; params: P }): PromiseLike<P>;
  wrapGenerate<R>(options: { doGenerate: () => PromiseLike<R>; params: ModelCallParams; model: ModelIdentity }): PromiseLike<R>;
  wrapStream<R extends { stream: ReadableStream<unknown> }>(options: {
    doStream: () => PromiseLike<R>;
    params: ModelCallParams;
    model: ModelIdentity;
  }): PromiseLike<R>;
}

const unknownRetry = (): undefined => undefined;

/** Stream call options to which Telltale added `includeRawChunks` (the app did not ask for raw chunks). */
const rawChunksAdded = new WeakSet<object>();

/** Calls still open (under way, or waiting for a retry), by the prompt their attempts share. */
const openCalls = new WeakMap<object, ModelCall>();

function callFor(model: ModelIdentity, params: ModelCallParams, stream: boolean): ModelCall | undefined {
  try {
    const key = typeof params.prompt === "object" && params.prompt !== null ? params.prompt : undefined;
    const open = key === undefined ? undefined : openCalls.get(key);
    if (open !== undefined && !open.isEnded) return open;
    const active = context.active();
    const call = new ModelCall(aiSdkTracer(), callStartOf(model, params, stream, active));
    if (key !== undefined) {
      openCalls.set(key, call);
      call.onEnd(() => {
        if (openCalls.get(key) === call) openCalls.delete(key);
      });
    }
    runScopeOf(active)?.track(call);
    return call;
  } catch (failure) {
    AI_SDK_DIAG.error("starting an AI SDK model call span failed", failure);
    return undefined;
  }
}

async function generate<R>(call: ModelCall, doGenerate: () => PromiseLike<R>): Promise<R> {
  const refusal = call.refusal();
  if (refusal !== undefined) {
    call.end(refusal);
    throw refusal;
  }
  const result = await call.attempt(doGenerate, unknownRetry);
  call.completeWith(result);
  return result;
}

async function stream<R extends { stream: ReadableStream<unknown> }>(call: ModelCall, params: ModelCallParams, doStream: () => PromiseLike<R>): Promise<R> {
  const refusal = call.refusal();
  if (refusal !== undefined) {
    call.end(refusal);
    throw refusal;
  }
  const result = await call.attempt(doStream, unknownRetry);
  if (!(result?.stream instanceof ReadableStream)) {
    call.end();
    return result;
  }
  return { ...result, stream: call.observe(result.stream, rawChunksAdded.has(params)) };
}

/**
 * Telltale's language model middleware: one LLM call span per logical model call, with every attempt of the AI
 * SDK's retries, the response, usage and soft errors, and streams that always end.
 */
export function telltaleMiddleware(): TelltaleLanguageModelMiddleware {
  return {
    specificationVersion: "v3",
    // A stream's usage comes in its finish part; an aborted stream has none. The provider's raw chunks carry usage
    // earlier (Anthropic's message_start): they are requested, read, and not passed on.
    transformParams({ type, params }) {
      if (type !== "stream" || params.includeRawChunks === true || isHandled(context.active())) return Promise.resolve(params);
      const withRawChunks = { ...params, includeRawChunks: true };
      rawChunksAdded.add(withRawChunks);
      return Promise.resolve(withRawChunks);
    },
    wrapGenerate({ doGenerate, params, model }) {
      if (isHandled(context.active())) return doGenerate();
      const call = callFor(model, params, false);
      return call === undefined ? doGenerate() : generate(call, doGenerate);
    },
    wrapStream({ doStream, params, model }) {
      if (isHandled(context.active())) return doStream();
      const call = callFor(model, params, true);
      return call === undefined ? doStream() : stream(call, params, doStream);
    },
  };
}
