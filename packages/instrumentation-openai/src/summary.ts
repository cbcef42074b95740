/**
 * What the summaries of every endpoint share, and the embeddings summary. A summary is what the OpenAI API answered
 * (a response object, or the chunks of a stream), in the terms `recordResponseSummary` writes on the call span:
 * response model and id, finish reasons, usage, the tool calls the model asked for, soft errors (F4) and, when
 * content capture is on, the output messages.
 */
import type { Attributes } from "@opentelemetry/api";
import type { LlmUsage } from "@telltale/core/instrumentation";
import {
  ATTR_OPENAI_RESPONSE_SERVICE_TIER,
  ATTR_OPENAI_RESPONSE_SYSTEM_FINGERPRINT,
  GEN_AI_FINISH_REASON_VALUE_ERROR,
} from "@telltale/core/attributes";
import {
  fieldsOf,
  itemsOf,
  numberOf,
  stringOf,
  type Fields,
  type GenAiConventions,
  type ResponseSummary as CommonResponseSummary,
} from "@telltale/instrumentation-common";

/** The field names under which one API reports its usage (Chat Completions and Responses spell them differently). */
export interface UsageFieldNames {
  input: string;
  output: string;
  inputDetails: string;
  outputDetails: string;
}

/** A usage object as core records it; only the counts the API actually sent. */
export function usageOf(usage: Fields | undefined, names: UsageFieldNames): LlmUsage | undefined {
  if (usage === undefined) return undefined;
  const result: LlmUsage = {};
  const input = numberOf(usage[names.input]);
  const output = numberOf(usage[names.output]);
  const cached = numberOf(fieldsOf(usage[names.inputDetails])?.cached_tokens);
  const reasoning = numberOf(fieldsOf(usage[names.outputDetails])?.reasoning_tokens);
  if (input !== undefined) result.inputTokens = input;
  if (output !== undefined) result.outputTokens = output;
  if (cached !== undefined) result.cacheReadInputTokens = cached;
  if (reasoning !== undefined) result.reasoningOutputTokens = reasoning;
  return result;
}

export interface ToolCallSummary {
  id?: string;
  name: string;
  arguments?: string;
}

export interface ResponseSummary extends CommonResponseSummary {
  toolCalls: ToolCallSummary[];
}

const SOFT_ERROR_DETAIL_MAX = 120;

// A summary's lists until their first item, through `append`: most completions have one finish reason and no tool
// call, and an array grown by a first push reserves 17 slots. Frozen, so a stray push fails loudly.
export const NO_ITEMS: never[] = Object.freeze([]) as never[];

export function append<T>(list: T[], item: T): T[] {
  if (list.length === 0) return [item];
  list.push(item);
  return list;
}

/** A soft error's detail: the text, shortened. */
export function detail(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  return text.length > SOFT_ERROR_DETAIL_MAX ? `${text.slice(0, SOFT_ERROR_DETAIL_MAX)}…` : text;
}

export function errorPayloadDetail(error: unknown): string {
  const fields = fieldsOf(error);
  return detail(stringOf(fields?.code) ?? stringOf(fields?.type) ?? stringOf(fields?.message) ?? "error") ?? "error";
}

/**
 * The finish reasons of generations a stream left unfinished. The latest GenAI conventions ask for `error` in each
 * position whose finish reason was expected but never came; the pinned version leaves those positions out.
 */
export function unfinishedReasons(received: ReadonlyArray<string | undefined>, conventions: GenAiConventions): string[] {
  const reasons: string[] = [];
  for (const reason of received) {
    if (reason !== undefined) reasons.push(reason);
    else if (conventions === "latest") reasons.push(GEN_AI_FINISH_REASON_VALUE_ERROR);
  }
  return reasons;
}

/** Drops an `empty_output` verdict: an answer that was interrupted or cut short is partial, not empty. */
export function partial(summary: ResponseSummary): ResponseSummary {
  if (summary.softError?.kind === "empty_output") delete summary.softError;
  return summary;
}

/** `openai.response.service_tier` and `openai.response.system_fingerprint`, when the response has them. */
export function openaiResponseAttributes(response: Fields): Attributes | undefined {
  const tier = stringOf(response.service_tier);
  const fingerprint = stringOf(response.system_fingerprint);
  if (tier === undefined && fingerprint === undefined) return undefined;
  const attributes: Attributes = {};
  if (tier !== undefined) attributes[ATTR_OPENAI_RESPONSE_SERVICE_TIER] = tier;
  if (fingerprint !== undefined) attributes[ATTR_OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = fingerprint;
  return attributes;
}

export function summarizeEmbeddings(result: Fields): ResponseSummary {
  const summary: ResponseSummary = { finishReasons: NO_ITEMS, toolCalls: NO_ITEMS, outputMessages: NO_ITEMS };
  const model = stringOf(result.model);
  if (model !== undefined) summary.responseModel = model;
  const input = numberOf(fieldsOf(result.usage)?.prompt_tokens);
  if (input !== undefined) summary.usage = { inputTokens: input };
  if (result.error !== undefined && result.error !== null) {
    summary.softError = { kind: "error_payload", detail: errorPayloadDetail(result.error) };
  } else if (itemsOf(result.data).length === 0) {
    summary.softError = { kind: "empty_output", detail: "no embeddings" };
  }
  return summary;
}
