/**
 * Reads what the instrumentation records about a request: the model, streaming, sampling parameters and, only when
 * content capture is on, the input messages. Request options (headers, API keys) are never read.
 */
import {
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
  GEN_AI_OPERATION_NAME_VALUE_EMBEDDINGS,
  GEN_AI_OPERATION_NAME_VALUE_RESPONSES,
} from "@telltale/core";
import type { Attributes } from "@opentelemetry/api";
import type { GenAiMessage, GenAiMessagePart } from "@telltale/instrumentation-common";
import { asArray, asBag, num, str, textOf, type Bag } from "./shapes.js";

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

export function describeRequest(endpoint: Endpoint, body: unknown): RequestDescription {
  const bag = asBag(body) ?? {};
  const attributes: Attributes = {};
  const maxTokens = num(bag.max_completion_tokens) ?? num(bag.max_tokens) ?? num(bag.max_output_tokens);
  if (maxTokens !== undefined) attributes[ATTR_GEN_AI_REQUEST_MAX_TOKENS] = maxTokens;
  const temperature = num(bag.temperature);
  if (temperature !== undefined) attributes[ATTR_GEN_AI_REQUEST_TEMPERATURE] = temperature;
  const description: RequestDescription = {
    operation: OPERATION_OF[endpoint],
    stream: endpoint !== "embeddings" && bag.stream === true,
    attributes,
  };
  const model = str(bag.model);
  if (model !== undefined) description.requestModel = model;
  return description;
}

function contentParts(content: unknown): GenAiMessagePart[] {
  if (typeof content === "string") return [{ type: "text", content }];
  const parts: GenAiMessagePart[] = [];
  for (const raw of asArray(content)) {
    const part = asBag(raw);
    if (part === undefined) continue;
    const text = str(part.text) ?? str(part.refusal);
    if (text !== undefined) parts.push({ type: "text", content: text });
    // Images, audio and files are not text: recorded by type only, never their data.
    else if (typeof part.type === "string") parts.push({ type: "text", content: `[${part.type}]` });
  }
  return parts;
}

/** Chat Completions `messages` as GenAI semconv input messages. */
export function chatInputMessages(body: unknown): GenAiMessage[] {
  const messages: GenAiMessage[] = [];
  for (const raw of asArray(asBag(body)?.messages)) {
    const message = asBag(raw);
    if (message === undefined) continue;
    const role = str(message.role) ?? "user";
    if (role === "tool") {
      const id = str(message.tool_call_id);
      messages.push({ role, parts: [{ type: "tool_call_response", ...(id !== undefined ? { id } : {}), response: textOf(message.content) }] });
      continue;
    }
    const parts = contentParts(message.content);
    for (const rawCall of asArray(message.tool_calls)) {
      const call = asBag(rawCall);
      const fn = asBag(call?.function);
      const name = str(fn?.name);
      if (name === undefined) continue;
      const id = str(call?.id);
      const args = str(fn?.arguments);
      parts.push({ type: "tool_call", ...(id !== undefined ? { id } : {}), name, ...(args !== undefined ? { arguments: args } : {}) });
    }
    messages.push({ role: role === "developer" ? "system" : role, parts });
  }
  return messages;
}

/** Responses API `input` as GenAI semconv input messages. */
export function responsesInputMessages(body: unknown): GenAiMessage[] {
  const input = asBag(body)?.input;
  if (typeof input === "string") return [{ role: "user", parts: [{ type: "text", content: input }] }];
  const messages: GenAiMessage[] = [];
  for (const raw of asArray(input)) {
    const item: Bag | undefined = asBag(raw);
    if (item === undefined) continue;
    if (item.type === "function_call_output" || item.type === "custom_tool_call_output") {
      const id = str(item.call_id);
      messages.push({ role: "tool", parts: [{ type: "tool_call_response", ...(id !== undefined ? { id } : {}), response: textOf(item.output) }] });
    } else if (item.type === "function_call") {
      const id = str(item.call_id);
      const args = str(item.arguments);
      messages.push({
        role: "assistant",
        parts: [{ type: "tool_call", ...(id !== undefined ? { id } : {}), name: str(item.name) ?? "", ...(args !== undefined ? { arguments: args } : {}) }],
      });
    } else if (item.role !== undefined) {
      const role = str(item.role) ?? "user";
      messages.push({ role: role === "developer" ? "system" : role, parts: contentParts(item.content) });
    }
  }
  return messages;
}

/** Responses API `instructions` (the system prompt) for `gen_ai.system_instructions`. */
export function responsesInstructions(body: unknown): GenAiMessagePart[] | undefined {
  const instructions = str(asBag(body)?.instructions);
  return instructions === undefined ? undefined : [{ type: "text", content: instructions }];
}
