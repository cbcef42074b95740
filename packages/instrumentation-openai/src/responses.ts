/**
 * The Responses API: a `response` object, or one followed through its event stream, as a summary. The API has no
 * finish reason of its own: the summary gives the GenAI conventions' one for how the response ended.
 */
import {
  GEN_AI_FINISH_REASON_VALUE_CONTENT_FILTER,
  GEN_AI_FINISH_REASON_VALUE_ERROR,
  GEN_AI_FINISH_REASON_VALUE_LENGTH,
  GEN_AI_FINISH_REASON_VALUE_STOP,
  GEN_AI_FINISH_REASON_VALUE_TOOL_CALL,
} from "@telltale/core/attributes";
import {
  fieldsOf,
  itemsOf,
  numberOf,
  stringOf,
  type ContentCapture,
  type Fields,
  type GenAiMessagePart,
} from "@telltale/instrumentation-common";
import { isToolResult, toolCallOf, toolCallParts, toolResultPart } from "./response-items.js";
import {
  detail,
  errorPayloadDetail,
  openaiResponseAttributes,
  type ResponseSummary,
  type UsageFieldNames,
  usageOf,
} from "./summary.js";

/** How a response ended: its terminal stream event, or a plain response's `status`. Undefined: it has not. */
export type ResponseEnding = "completed" | "incomplete" | "failed" | "cancelled" | undefined;

const TERMINAL_EVENTS: Readonly<Record<string, ResponseEnding>> = {
  "response.completed": "completed",
  "response.incomplete": "incomplete",
  "response.failed": "failed",
  // An error event ends the stream with a failure the server reports in the stream itself.
  error: "failed",
};

function endingOfStatus(status: unknown): ResponseEnding {
  return status === "completed" || status === "incomplete" || status === "failed" || status === "cancelled" ? status : undefined;
}

/** The conventions' finish reason for an incomplete response's `incomplete_details.reason`. */
const INCOMPLETE_FINISH_REASONS: Readonly<Record<string, string>> = {
  max_output_tokens: GEN_AI_FINISH_REASON_VALUE_LENGTH,
  content_filter: GEN_AI_FINISH_REASON_VALUE_CONTENT_FILTER,
};

const RESPONSES_USAGE_FIELDS: UsageFieldNames = {
  input: "input_tokens",
  output: "output_tokens",
  inputDetails: "input_tokens_details",
  outputDetails: "output_tokens_details",
};

/** What a response's output items held. */
interface OutputRead {
  /** Anything the caller received: text, a refusal, a tool call or a tool's result. */
  anyOutput: boolean;
  refusal: string | undefined;
  /** The last item that says how the turn ended (text or a tool call, not reasoning) was a tool call. */
  endsWithToolCall: boolean;
  /** Only filled when content capture is on. */
  parts: GenAiMessagePart[];
}

function readOutput(output: readonly unknown[], summary: ResponseSummary, capture: ContentCapture): OutputRead {
  const read: OutputRead = { anyOutput: false, refusal: undefined, endsWithToolCall: false, parts: [] };
  for (const rawItem of output) {
    const item = fieldsOf(rawItem);
    if (item === undefined) continue;
    if (item.type === "message") {
      readMessage(item, read, capture);
      continue;
    }
    const call = toolCallOf(item);
    if (call !== undefined) {
      read.anyOutput = true;
      read.endsWithToolCall = true;
      summary.toolCalls.push({ ...(call.id !== undefined ? { id: call.id } : {}), name: call.name });
      if (capture.enabled) read.parts.push(...toolCallParts(item, call));
    } else if (isToolResult(item)) {
      read.anyOutput = true;
      if (capture.enabled) read.parts.push(toolResultPart(item));
    }
  }
  return read;
}

function readMessage(item: Fields, read: OutputRead, capture: ContentCapture): void {
  for (const rawContent of itemsOf(item.content)) {
    const content = fieldsOf(rawContent);
    if (content?.type === "output_text") {
      const text = stringOf(content.text) ?? "";
      if (text.length === 0) continue;
      read.anyOutput = true;
      read.endsWithToolCall = false;
      if (capture.enabled) read.parts.push({ type: "text", content: text });
    } else if (content?.type === "refusal") {
      const text = stringOf(content.refusal) ?? "";
      read.refusal ??= text;
      read.endsWithToolCall = false;
      if (capture.enabled) read.parts.push({ type: "refusal", content: text });
    }
  }
}

function finishReasonOf(ending: ResponseEnding, incompleteReason: string | undefined, read: OutputRead): string | undefined {
  switch (ending) {
    case "completed":
      return read.endsWithToolCall ? GEN_AI_FINISH_REASON_VALUE_TOOL_CALL : GEN_AI_FINISH_REASON_VALUE_STOP;
    case "incomplete":
      return incompleteReason === undefined ? "incomplete" : (INCOMPLETE_FINISH_REASONS[incompleteReason] ?? incompleteReason);
    case "failed":
    case "cancelled":
      return GEN_AI_FINISH_REASON_VALUE_ERROR;
    default:
      return undefined;
  }
}

/**
 * Summarizes a Responses API `response` object. `ending` says how it ended; by default its `status`, but a stream's
 * terminal event says it better (a snapshot's status is only what it was when the snapshot was taken).
 */
export function summarizeResponse(response: Fields, capture: ContentCapture, ending = endingOfStatus(response.status)): ResponseSummary {
  const summary: ResponseSummary = { finishReasons: [], toolCalls: [], outputMessages: [] };
  const id = stringOf(response.id);
  const model = stringOf(response.model);
  if (id !== undefined) summary.responseId = id;
  if (model !== undefined) summary.responseModel = model;
  const usage = usageOf(fieldsOf(response.usage), RESPONSES_USAGE_FIELDS);
  if (usage !== undefined) summary.usage = usage;
  const attributes = openaiResponseAttributes(response);
  if (attributes !== undefined) summary.attributes = attributes;

  const read = readOutput(itemsOf(response.output), summary, capture);
  const incompleteReason = stringOf(fieldsOf(response.incomplete_details)?.reason);
  const finishReason = finishReasonOf(ending, incompleteReason, read);
  if (finishReason !== undefined) summary.finishReasons.push(finishReason);
  if (capture.enabled && (read.parts.length > 0 || finishReason !== undefined)) {
    summary.outputMessages.push({ role: "assistant", parts: read.parts, ...(finishReason !== undefined ? { finish_reason: finishReason } : {}) });
  }

  if (ending === "failed" || (response.error !== undefined && response.error !== null)) {
    summary.softError = { kind: "error_payload", detail: errorPayloadDetail(response.error) };
  } else if (ending === "incomplete") {
    if (incompleteReason === "max_output_tokens") summary.softError = { kind: "truncated", detail: incompleteReason };
    else if (incompleteReason === "content_filter") summary.softError = { kind: "content_filter", detail: incompleteReason };
    else summary.softError = { kind: "incomplete", detail: detail(incompleteReason ?? "incomplete") };
  } else if (read.refusal !== undefined) {
    summary.softError = { kind: "refusal", detail: detail(read.refusal) };
  } else if (!read.anyOutput && ending === "completed") {
    summary.softError = { kind: "empty_output" };
  }
  return summary;
}

/**
 * Follows a Responses event stream. Its terminal event (`response.completed` / `.incomplete` / `.failed`, or an
 * `error` event) carries the whole response and says how it ended; a stream that stops before one is rebuilt from
 * the items and text it delivered.
 */
export class ResponsesStreamAccumulator {
  /** The latest snapshot (`response.created`, `.in_progress` …): id, model, service tier. */
  private latest: Fields | undefined;
  private final: Fields | undefined;
  private ended: ResponseEnding;
  private streamError: Fields | undefined;
  /** Output items by `output_index`: as added, then as done. */
  private readonly items = new Map<number, Fields>();
  /** Streamed text by `output_index` (only with content capture on). */
  private readonly text = new Map<number, string[]>();

  constructor(private readonly keepText: boolean) {}

  /** How the stream said the response ended; undefined until a terminal event arrives. */
  get ending(): ResponseEnding {
    return this.ended;
  }

  add(event: unknown): void {
    const fields = fieldsOf(event);
    const type = stringOf(fields?.type);
    if (fields === undefined || type === undefined) return;
    const response = fieldsOf(fields.response);
    const terminal = TERMINAL_EVENTS[type];
    if (terminal !== undefined) {
      this.ended = terminal;
      if (response !== undefined) this.final = response;
      if (type === "error") this.streamError = fields;
      return;
    }
    if (response !== undefined) this.latest = response;
    else if (type === "response.output_item.added" || type === "response.output_item.done") this.addItem(fields);
    else if (type === "response.output_text.delta" && this.keepText) this.addText(fields);
  }

  /** What the stream lacked to be complete, or undefined when it was. */
  missingEnd(): string | undefined {
    return this.ended === undefined ? "no response.completed" : undefined;
  }

  /** The response as far as the stream went: the terminal one, else rebuilt from the latest snapshot and items. */
  response(): Fields {
    if (this.final !== undefined) return this.final;
    const partial: Record<string, unknown> = { ...this.latest };
    if (this.streamError !== undefined) partial.error = { code: this.streamError.code, message: this.streamError.message };
    partial.output = [...this.items.keys()].sort((a, b) => a - b).map((index) => this.itemWithText(index));
    return partial;
  }

  private addItem(event: Fields): void {
    const item = fieldsOf(event.item);
    const index = numberOf(event.output_index);
    if (item !== undefined && index !== undefined) this.items.set(index, item);
  }

  private addText(event: Fields): void {
    const delta = stringOf(event.delta);
    const index = numberOf(event.output_index);
    if (delta === undefined || index === undefined) return;
    const pieces = this.text.get(index);
    if (pieces === undefined) this.text.set(index, [delta]);
    else pieces.push(delta);
  }

  /** A message item that was still being written gets the text streamed into it so far. */
  private itemWithText(index: number): Fields {
    const item = this.items.get(index) ?? {};
    const pieces = this.text.get(index);
    if (item.type !== "message" || pieces === undefined || itemsOf(item.content).length > 0) return item;
    return { ...item, content: [{ type: "output_text", text: pieces.join("") }] };
  }
}
