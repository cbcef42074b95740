/**
 * Reads what the instrumentation records about a request: the model, streaming, the sampling and output parameters
 * the GenAI conventions name and, only when content capture is on, the input messages. Request options (headers, API
 * keys) are never read.
 */
import type { Attributes } from "@opentelemetry/api";
import {
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
  ATTR_GEN_AI_OUTPUT_TYPE,
  ATTR_GEN_AI_REQUEST_CHOICE_COUNT,
  ATTR_GEN_AI_REQUEST_ENCODING_FORMATS,
  ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY,
  ATTR_GEN_AI_REQUEST_PREVIOUS_RESPONSE_ID,
  ATTR_GEN_AI_REQUEST_REASONING_LEVEL,
  ATTR_GEN_AI_REQUEST_SEED,
  ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_REQUEST_TOP_P,
  ATTR_OPENAI_API_TYPE,
  ATTR_OPENAI_REQUEST_SERVICE_TIER,
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
  GEN_AI_OPERATION_NAME_VALUE_EMBEDDINGS,
  GEN_AI_OPERATION_NAME_VALUE_RESPONSES,
  GEN_AI_OUTPUT_TYPE_VALUE_JSON,
  GEN_AI_OUTPUT_TYPE_VALUE_SPEECH,
  GEN_AI_OUTPUT_TYPE_VALUE_TEXT,
  OPENAI_API_TYPE_VALUE_CHAT_COMPLETIONS,
  OPENAI_API_TYPE_VALUE_RESPONSES,
  OPENAI_REQUEST_SERVICE_TIER_VALUE_AUTO,
} from "@telltale/core/attributes";
import {
  fieldsOf,
  itemsOf,
  jsonTextOf,
  numberOf,
  stringOf,
  type Fields,
  type GenAiConventions,
  type GenAiMessage,
  type GenAiMessagePart,
} from "@telltale/instrumentation-common";
import { isToolResult, toolCallOf, toolCallParts, toolResultPart } from "./response-items.js";

/** The three endpoints the instrumentation traces. */
export type Endpoint = "chat" | "responses" | "embeddings";

export interface RequestDescription {
  operation: string;
  requestModel?: string;
  stream: boolean;
  attributes: Attributes;
}

export const OPERATION_OF: Readonly<Record<Endpoint, string>> = {
  chat: GEN_AI_OPERATION_NAME_VALUE_CHAT,
  responses: GEN_AI_OPERATION_NAME_VALUE_RESPONSES,
  embeddings: GEN_AI_OPERATION_NAME_VALUE_EMBEDDINGS,
};

const NO_FIELDS: Fields = Object.freeze({});

export function describeRequest(endpoint: Endpoint, body: unknown, conventions: GenAiConventions): RequestDescription {
  const fields = fieldsOf(body) ?? NO_FIELDS;
  const attributes: Attributes = {};
  if (endpoint === "chat") chatAttributes(fields, conventions, attributes);
  else if (endpoint === "responses") responsesAttributes(fields, conventions, attributes);
  else embeddingsAttributes(fields, attributes);
  const description: RequestDescription = {
    operation: OPERATION_OF[endpoint],
    stream: endpoint !== "embeddings" && fields.stream === true,
    attributes,
  };
  const model = stringOf(fields.model);
  if (model !== undefined) description.requestModel = model;
  return description;
}

function setNumber(attributes: Attributes, name: string, value: unknown): void {
  const number = numberOf(value);
  if (number !== undefined) attributes[name] = number;
}

function setString(attributes: Attributes, name: string, value: unknown): void {
  const text = stringOf(value);
  if (text !== undefined) attributes[name] = text;
}

/** `openai.request.service_tier`: only when the request names a tier other than `auto`, as the conventions ask. */
function setServiceTier(attributes: Attributes, value: unknown): void {
  const tier = stringOf(value);
  if (tier !== undefined && tier !== OPENAI_REQUEST_SERVICE_TIER_VALUE_AUTO) attributes[ATTR_OPENAI_REQUEST_SERVICE_TIER] = tier;
}

/** `gen_ai.output.type` from a `response_format` / `text.format` object: structured output is `json`. */
function outputTypeOfFormat(format: unknown): string | undefined {
  const type = stringOf(fieldsOf(format)?.type);
  if (type === "json_schema" || type === "json_object") return GEN_AI_OUTPUT_TYPE_VALUE_JSON;
  return type === "text" ? GEN_AI_OUTPUT_TYPE_VALUE_TEXT : undefined;
}

function chatAttributes(fields: Fields, conventions: GenAiConventions, attributes: Attributes): void {
  attributes[ATTR_OPENAI_API_TYPE] = OPENAI_API_TYPE_VALUE_CHAT_COMPLETIONS;
  setNumber(attributes, ATTR_GEN_AI_REQUEST_MAX_TOKENS, fields.max_completion_tokens ?? fields.max_tokens);
  setNumber(attributes, ATTR_GEN_AI_REQUEST_TEMPERATURE, fields.temperature);
  setNumber(attributes, ATTR_GEN_AI_REQUEST_TOP_P, fields.top_p);
  setNumber(attributes, ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY, fields.frequency_penalty);
  setNumber(attributes, ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY, fields.presence_penalty);
  setNumber(attributes, ATTR_GEN_AI_REQUEST_SEED, fields.seed);
  const stop = typeof fields.stop === "string" ? [fields.stop] : itemsOf(fields.stop).filter((item) => typeof item === "string");
  if (stop.length > 0) attributes[ATTR_GEN_AI_REQUEST_STOP_SEQUENCES] = stop as string[];
  // Conditionally required only when it is not 1.
  const choices = numberOf(fields.n);
  if (choices !== undefined && choices !== 1) attributes[ATTR_GEN_AI_REQUEST_CHOICE_COUNT] = choices;
  const outputType = itemsOf(fields.modalities).includes("audio") ? GEN_AI_OUTPUT_TYPE_VALUE_SPEECH : outputTypeOfFormat(fields.response_format);
  if (outputType !== undefined) attributes[ATTR_GEN_AI_OUTPUT_TYPE] = outputType;
  setServiceTier(attributes, fields.service_tier);
  if (conventions === "latest") setString(attributes, ATTR_GEN_AI_REQUEST_REASONING_LEVEL, fields.reasoning_effort);
}

function responsesAttributes(fields: Fields, conventions: GenAiConventions, attributes: Attributes): void {
  attributes[ATTR_OPENAI_API_TYPE] = OPENAI_API_TYPE_VALUE_RESPONSES;
  setNumber(attributes, ATTR_GEN_AI_REQUEST_MAX_TOKENS, fields.max_output_tokens);
  setNumber(attributes, ATTR_GEN_AI_REQUEST_TEMPERATURE, fields.temperature);
  setNumber(attributes, ATTR_GEN_AI_REQUEST_TOP_P, fields.top_p);
  const outputType = outputTypeOfFormat(fieldsOf(fields.text)?.format);
  if (outputType !== undefined) attributes[ATTR_GEN_AI_OUTPUT_TYPE] = outputType;
  setServiceTier(attributes, fields.service_tier);
  // A conversation is the id itself or `{ id }`.
  const conversation = stringOf(fields.conversation) ?? stringOf(fieldsOf(fields.conversation)?.id);
  if (conversation !== undefined) attributes[ATTR_GEN_AI_CONVERSATION_ID] = conversation;
  if (conventions === "latest") {
    setString(attributes, ATTR_GEN_AI_REQUEST_REASONING_LEVEL, fieldsOf(fields.reasoning)?.effort);
    setString(attributes, ATTR_GEN_AI_REQUEST_PREVIOUS_RESPONSE_ID, fields.previous_response_id);
  }
}

function embeddingsAttributes(fields: Fields, attributes: Attributes): void {
  // Only a format the caller asked for: the SDK asks for base64 on its own when none was given.
  const format = stringOf(fields.encoding_format);
  if (format !== undefined) attributes[ATTR_GEN_AI_REQUEST_ENCODING_FORMATS] = [format];
  setNumber(attributes, ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT, fields.dimensions);
}

function contentParts(content: unknown): GenAiMessagePart[] {
  if (typeof content === "string") return [{ type: "text", content }];
  const parts: GenAiMessagePart[] = [];
  for (const raw of itemsOf(content)) {
    const part = fieldsOf(raw);
    if (part === undefined) continue;
    const text = stringOf(part.text) ?? stringOf(part.refusal);
    if (text !== undefined) parts.push({ type: "text", content: text });
    // Images, audio and files are not text: recorded by type only, never their data.
    else if (typeof part.type === "string") parts.push({ type: "text", content: `[${part.type}]` });
  }
  return parts;
}

/** Chat Completions `messages` as GenAI semconv input messages. */
export function chatInputMessages(body: unknown): GenAiMessage[] {
  const messages: GenAiMessage[] = [];
  for (const raw of itemsOf(fieldsOf(body)?.messages)) {
    const message = fieldsOf(raw);
    if (message === undefined) continue;
    const role = stringOf(message.role) ?? "user";
    if (role === "tool") {
      const id = stringOf(message.tool_call_id);
      messages.push({ role, parts: [{ type: "tool_call_response", ...(id !== undefined ? { id } : {}), response: jsonTextOf(message.content) }] });
      continue;
    }
    const parts = contentParts(message.content);
    for (const rawCall of itemsOf(message.tool_calls)) {
      const call = fieldsOf(rawCall);
      const fn = fieldsOf(call?.function);
      const name = stringOf(fn?.name);
      if (name === undefined) continue;
      const id = stringOf(call?.id);
      const args = stringOf(fn?.arguments);
      parts.push({ type: "tool_call", ...(id !== undefined ? { id } : {}), name, ...(args !== undefined ? { arguments: args } : {}) });
    }
    messages.push({ role: role === "developer" ? "system" : role, parts });
  }
  return messages;
}

/**
 * Responses API `input` as GenAI semconv input messages: messages, the earlier turns' tool calls (every kind the
 * output can hold, as the assistant's) and their results (as the tool's).
 */
export function responsesInputMessages(body: unknown): GenAiMessage[] {
  const input = fieldsOf(body)?.input;
  if (typeof input === "string") return [{ role: "user", parts: [{ type: "text", content: input }] }];
  const messages: GenAiMessage[] = [];
  for (const raw of itemsOf(input)) {
    const item: Fields | undefined = fieldsOf(raw);
    if (item === undefined) continue;
    const call = toolCallOf(item);
    if (call !== undefined) {
      messages.push({ role: "assistant", parts: toolCallParts(item, call) });
    } else if (isToolResult(item)) {
      messages.push({ role: "tool", parts: [toolResultPart(item)] });
    } else if (item.role !== undefined) {
      const role = stringOf(item.role) ?? "user";
      messages.push({ role: role === "developer" ? "system" : role, parts: contentParts(item.content) });
    }
  }
  return messages;
}

/** Responses API `instructions` (the system prompt) for `gen_ai.system_instructions`. */
export function responsesInstructions(body: unknown): GenAiMessagePart[] | undefined {
  const instructions = stringOf(fieldsOf(body)?.instructions);
  return instructions === undefined ? undefined : [{ type: "text", content: instructions }];
}
