import type { PlannedAnswer, RequestInfo } from "./answer.js";
import { anthropicErrorObject } from "./errors.js";
import { splitIntoDeltas } from "./generate.js";
import type { SseEvent } from "./sse.js";
import type { ErrorPreset } from "./types.js";

function stopReason(answer: PlannedAnswer): string {
  switch (answer.stop) {
    case "length":
      return "max_tokens";
    case "tool_calls":
      return "tool_use";
    // Anthropic has no content filter finish; its classifiers stop the answer with `refusal`.
    case "content_filter":
    case "refusal":
      return "refusal";
    default:
      return "end_turn";
  }
}

/** Anthropic's input_tokens excludes the cached part, which is reported separately. */
function usage(answer: PlannedAnswer, outputTokens: number): Record<string, unknown> {
  const cached = answer.usage.cacheReadInputTokens + answer.usage.cacheCreationInputTokens;
  return {
    input_tokens: Math.max(0, answer.usage.inputTokens - cached),
    cache_creation_input_tokens: answer.usage.cacheCreationInputTokens,
    cache_read_input_tokens: answer.usage.cacheReadInputTokens,
    output_tokens: outputTokens,
    service_tier: "standard",
  };
}

function contentBlocks(answer: PlannedAnswer): Array<Record<string, unknown>> {
  if (answer.toolCalls.length > 0) {
    return answer.toolCalls.map((call) => ({ type: "tool_use", id: call.id, name: call.name, input: call.input }));
  }
  // A refused or empty answer has no text block; a filtered one keeps what was written before the stop.
  return answer.text.length > 0 ? [{ type: "text", text: answer.text }] : [];
}

export function messageJson(answer: PlannedAnswer, info: RequestInfo, id: string): Record<string, unknown> {
  return {
    id,
    type: "message",
    role: "assistant",
    model: info.model,
    content: contentBlocks(answer),
    stop_reason: stopReason(answer),
    stop_sequence: null,
    usage: usage(answer, answer.usage.outputTokens),
  };
}

function event(type: string, fields: Record<string, unknown>): SseEvent {
  return { event: type, data: JSON.stringify({ type, ...fields }) };
}

/** A message stream ends with `message_delta` (stop reason, final usage) and `message_stop`. */
export const MESSAGE_TERMINAL_EVENTS = 2;

/** message_start, ping, content blocks (start, deltas, stop), message_delta with usage, message_stop. */
export function messageEvents(answer: PlannedAnswer, info: RequestInfo, id: string): SseEvent[] {
  const events: SseEvent[] = [];
  events.push(
    event("message_start", {
      message: {
        id,
        type: "message",
        role: "assistant",
        model: info.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        // The API reports output_tokens 1 here and the final count in message_delta.
        usage: usage(answer, 1),
      },
    }),
  );
  events.push(event("ping", {}));
  contentBlocks(answer).forEach((block, index) => {
    if (block.type === "tool_use") {
      events.push(event("content_block_start", { index, content_block: { ...block, input: {} } }));
      const json = JSON.stringify(block.input);
      const size = Math.max(1, Math.ceil(json.length / 3));
      for (let start = 0; start < json.length; start += size) {
        events.push(
          event("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: json.slice(start, start + size) } }),
        );
      }
    } else {
      events.push(event("content_block_start", { index, content_block: { type: "text", text: "" } }));
      for (const piece of splitIntoDeltas(block.text as string)) {
        events.push(event("content_block_delta", { index, delta: { type: "text_delta", text: piece } }));
      }
    }
    events.push(event("content_block_stop", { index }));
  });
  const finalUsage = usage(answer, answer.usage.outputTokens);
  delete finalUsage.service_tier;
  events.push(event("message_delta", { delta: { stop_reason: stopReason(answer), stop_sequence: null }, usage: finalUsage }));
  events.push(event("message_stop", {}));
  return events;
}

/** `event: error` inside a 200 stream, as the API sends when it overloads mid-answer. */
export function messageStreamErrorEvents(preset: ErrorPreset, message: string | undefined): SseEvent[] {
  return [event("error", { error: anthropicErrorObject(preset, message) })];
}

export function errorPayloadJson(preset: ErrorPreset, message: string | undefined, requestId: string): Record<string, unknown> {
  return { type: "error", error: anthropicErrorObject(preset, message), request_id: requestId };
}
