/**
 * What the instrumentation records about a Messages request: the model, streaming, the sampling and output
 * parameters the GenAI conventions name and, only when content capture is on, the system prompt and the input
 * messages. Request options (headers, API keys) are never read.
 */
import type { Attributes } from "@opentelemetry/api";
import {
  ATTR_GEN_AI_OUTPUT_TYPE,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_REASONING_LEVEL,
  ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_REQUEST_TOP_K,
  ATTR_GEN_AI_REQUEST_TOP_P,
  GEN_AI_OUTPUT_TYPE_VALUE_JSON,
} from "@telltale/core/attributes";
import {
  fieldsOf,
  itemsOf,
  jsonTextOf,
  numberOf,
  stringOf,
  type GenAiConventions,
  type GenAiMessage,
  type GenAiMessagePart,
} from "@telltale/instrumentation-common";

export interface RequestDescription {
  requestModel?: string;
  stream: boolean;
  attributes: Attributes;
}

function setNumber(attributes: Attributes, name: string, value: unknown): void {
  const number = numberOf(value);
  if (number !== undefined) attributes[name] = number;
}

export function describeRequest(body: unknown, conventions: GenAiConventions): RequestDescription {
  const fields = fieldsOf(body) ?? {};
  const attributes: Attributes = {};
  setNumber(attributes, ATTR_GEN_AI_REQUEST_MAX_TOKENS, fields.max_tokens);
  setNumber(attributes, ATTR_GEN_AI_REQUEST_TEMPERATURE, fields.temperature);
  setNumber(attributes, ATTR_GEN_AI_REQUEST_TOP_P, fields.top_p);
  setNumber(attributes, ATTR_GEN_AI_REQUEST_TOP_K, fields.top_k);
  const stop = itemsOf(fields.stop_sequences).filter((item): item is string => typeof item === "string");
  if (stop.length > 0) attributes[ATTR_GEN_AI_REQUEST_STOP_SEQUENCES] = stop;
  const outputConfig = fieldsOf(fields.output_config);
  // Structured outputs: `output_config.format`, or the beta's `output_format`.
  const format = fieldsOf(outputConfig?.format) ?? fieldsOf(fields.output_format);
  if (format?.type === "json_schema") attributes[ATTR_GEN_AI_OUTPUT_TYPE] = GEN_AI_OUTPUT_TYPE_VALUE_JSON;
  if (conventions === "latest") {
    const effort = stringOf(outputConfig?.effort);
    if (effort !== undefined) attributes[ATTR_GEN_AI_REQUEST_REASONING_LEVEL] = effort;
  }
  const description: RequestDescription = { stream: fields.stream === true, attributes };
  const model = stringOf(fields.model);
  if (model !== undefined) description.requestModel = model;
  return description;
}

/** One Anthropic content block (request or response side) as GenAI message parts. */
export function blockParts(rawBlock: unknown): GenAiMessagePart[] {
  const block = fieldsOf(rawBlock);
  if (block === undefined) return [];
  const type = stringOf(block.type);
  switch (type) {
    case "text":
      return [{ type: "text", content: stringOf(block.text) ?? "" }];
    case "tool_use":
    case "server_tool_use": {
      const id = stringOf(block.id);
      return [{ type: "tool_call", ...(id !== undefined ? { id } : {}), name: stringOf(block.name) ?? "", arguments: jsonTextOf(block.input) }];
    }
    case "tool_result": {
      const id = stringOf(block.tool_use_id);
      const content = block.content;
      const response =
        typeof content === "string"
          ? content
          : itemsOf(content)
              .flatMap(blockParts)
              .map((part) => (part.type === "text" ? part.content : ""))
              .join("");
      return [{ type: "tool_call_response", ...(id !== undefined ? { id } : {}), response }];
    }
    // Thinking is the model's scratchpad, redacted thinking is opaque, and images or documents are data: recorded by
    // type only.
    default:
      return type === undefined ? [] : [{ type: "text", content: `[${type}]` }];
  }
}

function contentParts(content: unknown): GenAiMessagePart[] {
  if (typeof content === "string") return [{ type: "text", content }];
  return itemsOf(content).flatMap(blockParts);
}

/** Messages API `messages` as GenAI semconv input messages (a user message of tool results is role `tool`). */
export function inputMessages(body: unknown): GenAiMessage[] {
  const messages: GenAiMessage[] = [];
  for (const raw of itemsOf(fieldsOf(body)?.messages)) {
    const message = fieldsOf(raw);
    if (message === undefined) continue;
    const parts = contentParts(message.content);
    const role = stringOf(message.role) ?? "user";
    const onlyToolResults = parts.length > 0 && parts.every((part) => part.type === "tool_call_response");
    messages.push({ role: role === "user" && onlyToolResults ? "tool" : role, parts });
  }
  return messages;
}

/** The `system` prompt (a string or text blocks) for `gen_ai.system_instructions`. */
export function systemInstructions(body: unknown): GenAiMessagePart[] | undefined {
  const system = fieldsOf(body)?.system;
  if (system === undefined || system === null) return undefined;
  const parts = contentParts(system);
  return parts.length > 0 ? parts : undefined;
}
