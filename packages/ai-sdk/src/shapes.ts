/**
 * Readers for what the AI SDK's language model layer hands a middleware or a telemetry integration. The shapes
 * differ by major (ai 5 speaks the V2 model specification, ai 6 V3, ai 7 V4): a finish reason is a string on 5 and
 * `{ unified, raw }` on 6 and 7, usage is flat on 5 and nested (`inputTokens: { total, cacheRead, … }`) on 6 and 7.
 * Everything arrives as `unknown` so that no major's types leak into this package's public face.
 */
import { type LlmUsage } from "@telltale/core/instrumentation";
import { GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC, GEN_AI_PROVIDER_NAME_VALUE_OPENAI } from "@telltale/core/attributes";
import { fieldsOf, itemsOf, numberOf, stringOf } from "@telltale/instrumentation-common";

/** A finish reason in the AI SDK's unified vocabulary, with the provider's own word when it gave one. */
export interface FinishReason {
  /** `stop`, `length`, `content-filter`, `tool-calls`, `error`, `other`, `unknown` (5), `interrupted` (7). */
  unified: string;
  raw?: string;
}

/** Reads a finish reason of any major. */
export function finishReasonOf(value: unknown): FinishReason | undefined {
  const text = stringOf(value);
  if (text !== undefined) return { unified: text };
  const fields = fieldsOf(value);
  const unified = stringOf(fields?.unified);
  if (unified === undefined) return undefined;
  const raw = stringOf(fields?.raw);
  return raw === undefined ? { unified } : { unified, raw };
}

/** Reads usage of any major into core's terms. Input tokens include cached ones, as the GenAI conventions ask. */
export function usageOf(value: unknown): LlmUsage | undefined {
  const usage = fieldsOf(value);
  if (usage === undefined) return undefined;
  const result: LlmUsage = {};
  const input = fieldsOf(usage.inputTokens);
  const output = fieldsOf(usage.outputTokens);
  if (input !== undefined || output !== undefined) {
    // ai 6 and 7: nested counts.
    assign(result, "inputTokens", numberOf(input?.total));
    assign(result, "outputTokens", numberOf(output?.total));
    assign(result, "cacheReadInputTokens", numberOf(input?.cacheRead));
    assign(result, "cacheCreationInputTokens", numberOf(input?.cacheWrite));
    assign(result, "reasoningOutputTokens", numberOf(output?.reasoning));
  } else {
    // ai 5: flat counts.
    assign(result, "inputTokens", numberOf(usage.inputTokens));
    assign(result, "outputTokens", numberOf(usage.outputTokens));
    assign(result, "cacheReadInputTokens", numberOf(usage.cachedInputTokens));
    assign(result, "reasoningOutputTokens", numberOf(usage.reasoningTokens));
  }
  return Object.keys(result).length === 0 ? undefined : result;
}

function assign(usage: LlmUsage, key: keyof LlmUsage, value: number | undefined): void {
  if (value !== undefined) usage[key] = value;
}

// `gen_ai.provider.name` values of the GenAI conventions for the AI SDK's provider ids (the part before the dot of
// `openai.responses`, `anthropic.messages`, `google.generative-ai` …). Unknown ids pass through as they are.
const PROVIDER_NAMES: Readonly<Record<string, string>> = {
  openai: GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
  anthropic: GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC,
  azure: "azure.ai.openai",
  google: "gcp.gemini",
  "google-vertex": "gcp.vertex_ai",
  vertex: "gcp.vertex_ai",
  "amazon-bedrock": "aws.bedrock",
  bedrock: "aws.bedrock",
  mistral: "mistral_ai",
  xai: "x_ai",
  deepseek: "deepseek",
  groq: "groq",
  perplexity: "perplexity",
  cohere: "cohere",
};

/** `gen_ai.provider.name` for an AI SDK model's `provider` id. */
export function providerNameOf(providerId: unknown): string {
  const id = stringOf(providerId);
  if (id === undefined || id === "") return "unknown";
  const family = id.split(".")[0] ?? id;
  return PROVIDER_NAMES[family] ?? family;
}

/** What one model response (or a finished stream) said, in the terms the call span records. */
export interface ModelResponse {
  finishReason?: FinishReason;
  usage?: LlmUsage;
  responseId?: string;
  responseModel?: string;
  toolCalls: Array<{ id?: string; name: string }>;
  /** Any non-empty text part. */
  hasText: boolean;
}

/** Reads the result of a `doGenerate` (its `content` parts, finish reason, usage and response metadata). */
export function generateResultOf(value: unknown): ModelResponse {
  const result = fieldsOf(value);
  const response: ModelResponse = { toolCalls: [], hasText: false };
  const finishReason = finishReasonOf(result?.finishReason);
  if (finishReason !== undefined) response.finishReason = finishReason;
  const usage = usageOf(result?.usage);
  if (usage !== undefined) response.usage = usage;
  readResponseMetadata(response, fieldsOf(result?.response));
  for (const part of itemsOf(result?.content)) readContentPart(response, part);
  return response;
}

/** Reads `response.id` / `response.modelId` (a generate result's `response`, or a stream's `response-metadata`). */
export function readResponseMetadata(response: ModelResponse, metadata: Readonly<Record<string, unknown>> | undefined): void {
  const id = stringOf(metadata?.id);
  const modelId = stringOf(metadata?.modelId);
  if (id !== undefined) response.responseId = id;
  if (modelId !== undefined) response.responseModel = modelId;
}

/** Reads one content part (`text`, `tool-call`) of a generate result. */
export function readContentPart(response: ModelResponse, value: unknown): void {
  const part = fieldsOf(value);
  const type = stringOf(part?.type);
  if (type === "text") {
    if ((stringOf(part?.text) ?? "").trim() !== "") response.hasText = true;
  } else if (type === "tool-call") {
    const name = stringOf(part?.toolName);
    if (name === undefined) return;
    const id = stringOf(part?.toolCallId);
    response.toolCalls.push(id === undefined ? { name } : { id, name });
  }
}

/**
 * Usage in a provider's raw stream chunk (a `raw` part, with `includeRawChunks`): Anthropic's `message_start`
 * (`message.usage`) and `message_delta` (`usage`), OpenAI Chat Completions' last chunk (`usage`), OpenAI Responses'
 * terminal event (`response.usage`). The counts of later chunks replace earlier ones field by field.
 */
export function rawUsageOf(rawValue: unknown, soFar: LlmUsage | undefined): LlmUsage | undefined {
  const chunk = fieldsOf(rawValue);
  const usage = fieldsOf(chunk?.usage) ?? fieldsOf(fieldsOf(chunk?.message)?.usage) ?? fieldsOf(fieldsOf(chunk?.response)?.usage);
  if (usage === undefined) return soFar;
  const result: LlmUsage = { ...soFar };
  assign(result, "inputTokens", numberOf(usage.input_tokens) ?? numberOf(usage.prompt_tokens));
  assign(result, "outputTokens", numberOf(usage.output_tokens) ?? numberOf(usage.completion_tokens));
  assign(result, "cacheReadInputTokens", numberOf(usage.cache_read_input_tokens));
  assign(result, "cacheCreationInputTokens", numberOf(usage.cache_creation_input_tokens));
  return Object.keys(result).length === 0 ? soFar : result;
}
