import type { PlannedAnswer, RequestInfo } from "./answer.js";
import { openaiErrorObject } from "./errors.js";
import { embeddingVector, float32Base64, generateId, splitIntoDeltas, tokensForChars } from "./generate.js";
import type { SseEvent } from "./sse.js";
import type { ErrorPreset } from "./types.js";

const SYSTEM_FINGERPRINT = "fp_mock";

// ---------------------------------------------------------------------------------------------------------------
// Chat Completions

function chatFinishReason(answer: PlannedAnswer): string {
  switch (answer.stop) {
    case "length":
      return "length";
    case "content_filter":
      return "content_filter";
    case "tool_calls":
      return "tool_calls";
    default:
      // A refusal finishes normally; the refusal text is in `message.refusal`.
      return "stop";
  }
}

function chatUsage(answer: PlannedAnswer): Record<string, unknown> {
  const completionTokens = answer.usage.outputTokens + answer.usage.reasoningTokens;
  return {
    prompt_tokens: answer.usage.inputTokens,
    completion_tokens: completionTokens,
    total_tokens: answer.usage.inputTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: answer.usage.cacheReadInputTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: answer.usage.reasoningTokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

export function chatCompletionJson(answer: PlannedAnswer, info: RequestInfo, id: string): Record<string, unknown> {
  const message: Record<string, unknown> = {
    role: "assistant",
    content: answer.stop === "refusal" || answer.stop === "tool_calls" ? null : answer.text,
    refusal: answer.refusal ?? null,
    annotations: [],
  };
  if (answer.toolCalls.length > 0) {
    message.tool_calls = answer.toolCalls.map((call) => ({
      id: call.id,
      type: "function",
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  return {
    id,
    object: "chat.completion",
    created: info.nowSeconds,
    model: info.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: chatFinishReason(answer) }],
    usage: chatUsage(answer),
    service_tier: "default",
    system_fingerprint: SYSTEM_FINGERPRINT,
  };
}

/** Splits tool-call argument JSON into a few pieces, like the API streams them. */
function argumentPieces(argumentsJson: string): string[] {
  const size = Math.max(1, Math.ceil(argumentsJson.length / 3));
  const pieces: string[] = [];
  for (let start = 0; start < argumentsJson.length; start += size) pieces.push(argumentsJson.slice(start, start + size));
  return pieces;
}

/** How many events end a chat stream: the finish_reason chunk, the usage chunk (with include_usage) and `[DONE]`. */
export function chatTerminalEventCount(info: RequestInfo): number {
  return info.includeUsage ? 3 : 2;
}

/** The full chat stream, `[DONE]` included. */
export function chatCompletionEvents(answer: PlannedAnswer, info: RequestInfo, id: string): SseEvent[] {
  const chunk = (delta: Record<string, unknown>, finishReason: string | null): SseEvent => {
    const body: Record<string, unknown> = {
      id,
      object: "chat.completion.chunk",
      created: info.nowSeconds,
      model: info.model,
      service_tier: "default",
      system_fingerprint: SYSTEM_FINGERPRINT,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    };
    // With include_usage every chunk carries `usage: null` and one extra final chunk carries the numbers.
    if (info.includeUsage) body.usage = null;
    return { data: JSON.stringify(body) };
  };
  const events: SseEvent[] = [];
  if (answer.toolCalls.length > 0) {
    events.push(chunk({ role: "assistant", content: null, refusal: null }, null));
    answer.toolCalls.forEach((call, index) => {
      events.push(
        chunk(
          { tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }] },
          null,
        ),
      );
      for (const piece of argumentPieces(call.arguments)) {
        events.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }, null));
      }
    });
  } else if (answer.refusal !== undefined) {
    events.push(chunk({ role: "assistant", content: null, refusal: "" }, null));
    for (const piece of splitIntoDeltas(answer.refusal)) events.push(chunk({ refusal: piece }, null));
  } else {
    events.push(chunk({ role: "assistant", content: "", refusal: null }, null));
    for (const piece of splitIntoDeltas(answer.text)) events.push(chunk({ content: piece }, null));
  }
  events.push(chunk({}, chatFinishReason(answer)));
  if (info.includeUsage) {
    events.push({
      data: JSON.stringify({
        id,
        object: "chat.completion.chunk",
        created: info.nowSeconds,
        model: info.model,
        service_tier: "default",
        system_fingerprint: SYSTEM_FINGERPRINT,
        choices: [],
        usage: chatUsage(answer),
      }),
    });
  }
  events.push({ data: "[DONE]" });
  return events;
}

/** An error inside a 200 chat stream: the SDK's stream reader throws an APIError on a `data` with `error`. */
export function chatStreamErrorEvents(preset: ErrorPreset, info: RequestInfo, message: string | undefined): SseEvent[] {
  return [{ data: JSON.stringify({ error: openaiErrorObject(preset, info.model, message) }) }];
}

// ---------------------------------------------------------------------------------------------------------------
// Responses

interface ResponsesIds {
  responseId: string;
  messageId: string;
  /** One `fc_` item id per tool call (the `call_` ids are the planned tool call ids). */
  functionCallItemIds: string[];
}

export function responsesIds(answer: PlannedAnswer, random: () => number): ResponsesIds {
  return {
    responseId: generateId("resp_", random, 32),
    messageId: generateId("msg_", random, 32),
    functionCallItemIds: answer.toolCalls.map(() => generateId("fc_", random, 32)),
  };
}

function responsesUsage(answer: PlannedAnswer): Record<string, unknown> {
  const outputTokens = answer.usage.outputTokens + answer.usage.reasoningTokens;
  return {
    input_tokens: answer.usage.inputTokens,
    input_tokens_details: { cached_tokens: answer.usage.cacheReadInputTokens },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: answer.usage.reasoningTokens },
    total_tokens: answer.usage.inputTokens + outputTokens,
  };
}

function responsesStatus(answer: PlannedAnswer): { status: string; incompleteDetails: unknown } {
  if (answer.stop === "length") return { status: "incomplete", incompleteDetails: { reason: "max_output_tokens" } };
  if (answer.stop === "content_filter") return { status: "incomplete", incompleteDetails: { reason: "content_filter" } };
  return { status: "completed", incompleteDetails: null };
}

function responsesOutput(answer: PlannedAnswer, ids: ResponsesIds, itemStatus: string): Array<Record<string, unknown>> {
  if (answer.toolCalls.length > 0) {
    return answer.toolCalls.map((call, index) => ({
      type: "function_call",
      id: ids.functionCallItemIds[index] ?? `fc_${index}`,
      call_id: call.id,
      name: call.name,
      arguments: call.arguments,
      status: itemStatus,
    }));
  }
  const part =
    answer.refusal !== undefined
      ? { type: "refusal", refusal: answer.refusal }
      : { type: "output_text", text: answer.text, annotations: [], logprobs: [] };
  return [{ type: "message", id: ids.messageId, status: itemStatus, role: "assistant", content: [part] }];
}

function responseObject(
  info: RequestInfo,
  ids: ResponsesIds,
  fields: { status: string; incompleteDetails: unknown; error: unknown; output: unknown[]; usage: unknown },
): Record<string, unknown> {
  const body = info.body;
  return {
    id: ids.responseId,
    object: "response",
    created_at: info.nowSeconds,
    status: fields.status,
    background: false,
    error: fields.error,
    incomplete_details: fields.incompleteDetails,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: info.model,
    output: fields.output,
    parallel_tool_calls: true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: { format: { type: "text" } },
    tool_choice: body.tool_choice ?? "auto",
    tools: body.tools ?? [],
    top_p: body.top_p ?? 1,
    truncation: "disabled",
    usage: fields.usage,
    user: null,
    metadata: body.metadata ?? {},
  };
}

export function responsesJson(answer: PlannedAnswer, info: RequestInfo, ids: ResponsesIds): Record<string, unknown> {
  const { status, incompleteDetails } = responsesStatus(answer);
  return responseObject(info, ids, {
    status,
    incompleteDetails,
    error: null,
    output: responsesOutput(answer, ids, status === "completed" ? "completed" : "incomplete"),
    usage: responsesUsage(answer),
  });
}

/** `status: "failed"` with the error object Responses uses (`{ code, message }`). */
export function responsesFailedJson(
  info: RequestInfo,
  ids: ResponsesIds,
  preset: ErrorPreset,
  message: string | undefined,
): Record<string, unknown> {
  const error = openaiErrorObject(preset, info.model, message);
  return responseObject(info, ids, {
    status: "failed",
    incompleteDetails: null,
    error: { code: error.code ?? "server_error", message: error.message },
    output: [],
    usage: null,
  });
}

/** A Responses stream ends with one event carrying the whole response (`response.completed` / `.incomplete`). */
export const RESPONSES_TERMINAL_EVENTS = 1;

export function responsesEvents(answer: PlannedAnswer, info: RequestInfo, ids: ResponsesIds): SseEvent[] {
  const events: SseEvent[] = [];
  const emit = (type: string, fields: Record<string, unknown>): void => {
    events.push({ event: type, data: JSON.stringify({ type, sequence_number: events.length, ...fields }) });
  };
  const inProgress = responseObject(info, ids, {
    status: "in_progress",
    incompleteDetails: null,
    error: null,
    output: [],
    usage: null,
  });
  emit("response.created", { response: inProgress });
  emit("response.in_progress", { response: inProgress });
  const final = responsesJson(answer, info, ids);
  const finalItems = final.output as Array<Record<string, unknown>>;
  finalItems.forEach((item, outputIndex) => {
    const itemId = item.id as string;
    if (item.type === "function_call") {
      emit("response.output_item.added", { output_index: outputIndex, item: { ...item, arguments: "", status: "in_progress" } });
      for (const piece of argumentPieces(item.arguments as string)) {
        emit("response.function_call_arguments.delta", { item_id: itemId, output_index: outputIndex, delta: piece });
      }
      emit("response.function_call_arguments.done", {
        item_id: itemId,
        output_index: outputIndex,
        name: item.name,
        arguments: item.arguments,
      });
      emit("response.output_item.done", { output_index: outputIndex, item });
      return;
    }
    emit("response.output_item.added", {
      output_index: outputIndex,
      item: { ...item, status: "in_progress", content: [] },
    });
    const part = (item.content as Array<Record<string, unknown>>)[0] ?? {};
    const where = { item_id: itemId, output_index: outputIndex, content_index: 0 };
    if (part.type === "refusal") {
      emit("response.content_part.added", { ...where, part: { type: "refusal", refusal: "" } });
      for (const piece of splitIntoDeltas(part.refusal as string)) emit("response.refusal.delta", { ...where, delta: piece });
      emit("response.refusal.done", { ...where, refusal: part.refusal });
    } else {
      emit("response.content_part.added", { ...where, part: { type: "output_text", text: "", annotations: [], logprobs: [] } });
      for (const piece of splitIntoDeltas(part.text as string)) {
        emit("response.output_text.delta", { ...where, delta: piece, logprobs: [] });
      }
      emit("response.output_text.done", { ...where, text: part.text, logprobs: [] });
    }
    emit("response.content_part.done", { ...where, part });
    emit("response.output_item.done", { output_index: outputIndex, item });
  });
  const terminal = final.status === "completed" ? "response.completed" : "response.incomplete";
  emit(terminal, { response: final });
  return events;
}

/** A failed response inside a 200 stream: `response.failed` carrying `status: "failed"` and the error. */
export function responsesFailedEvents(
  info: RequestInfo,
  ids: ResponsesIds,
  preset: ErrorPreset,
  message: string | undefined,
  sequenceStart: number,
): SseEvent[] {
  const type = "response.failed";
  return [
    {
      event: type,
      data: JSON.stringify({ type, sequence_number: sequenceStart, response: responsesFailedJson(info, ids, preset, message) }),
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Embeddings

function embeddingInputs(input: unknown): string[] {
  if (typeof input === "string") return [input];
  if (Array.isArray(input)) {
    // A token array (numbers) is one input; an array of strings or token arrays is several.
    if (input.every((item) => typeof item === "number")) return [input.join(" ")];
    return input.map((item) => (typeof item === "string" ? item : Array.isArray(item) ? item.join(" ") : ""));
  }
  return [""];
}

export const DEFAULT_EMBEDDING_DIMENSIONS = 1536;

export function embeddingsJson(info: RequestInfo): Record<string, unknown> {
  const inputs = embeddingInputs(info.body.input);
  const dimensions =
    typeof info.body.dimensions === "number" && info.body.dimensions > 0 ? info.body.dimensions : DEFAULT_EMBEDDING_DIMENSIONS;
  // The openai SDK asks for base64 by default and decodes it to floats itself.
  const base64 = info.body.encoding_format === "base64";
  const promptTokens = inputs.reduce((sum, input) => sum + tokensForChars(input.length), 0);
  return {
    object: "list",
    data: inputs.map((input, index) => {
      const vector = embeddingVector(input, dimensions, info.seed);
      return { object: "embedding", index, embedding: base64 ? float32Base64(vector) : vector };
    }),
    model: info.model,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}
